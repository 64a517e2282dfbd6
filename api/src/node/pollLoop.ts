/**
 * A background round run every `pollMs` until stopped: a failed round is logged and the next one
 * tries again. `stop()` resolves once the round in progress (if any) has finished.
 */
export class PollLoop {
  private _running = false;
  private _loop: Promise<void> | undefined;

  constructor(
    private readonly _round: () => Promise<unknown>,
    private readonly _pollMs: number,
    private readonly _onError: (error: unknown) => void,
  ) {}

  start(): void {
    this._running = true;
    this._loop = (async () => {
      while (this._running) {
        try {
          await this._round();
        } catch (error) {
          this._onError(error);
        }
        await new Promise((resolve) => setTimeout(resolve, this._pollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this._running = false;
    await this._loop;
  }
}

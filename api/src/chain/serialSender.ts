import type { NonceManager } from "ethers";

/**
 * Sends one signer's transactions one at a time. ethers' NonceManager takes a nonce before it
 * estimates gas, so a send that fails there (a revert) leaves a gap, and a send racing it gets a
 * nonce the node holds back forever (seen: an anchor stuck until its 120 s receipt timeout after a
 * kill -9 restart). Here each send completes, or fails and resets the nonce, before the next starts.
 */
export class SerialSender {
  private _tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly _signer: NonceManager) {}

  /** Runs `send` after every earlier one has settled; on failure the nonce is re-read from the chain. */
  send<T>(send: () => Promise<T>): Promise<T> {
    const run = this._tail.then(async () => {
      try {
        return await send();
      } catch (error) {
        this._signer.reset();
        throw error;
      }
    });
    this._tail = run.catch(() => undefined);
    return run;
  }
}

import type { JsonRpcApiProvider, NonceManager } from "ethers";

/**
 * Sends one signer's transactions one at a time. ethers' NonceManager takes a nonce before it
 * estimates gas, so a send that fails there (a revert) leaves a gap, and a send racing it gets a
 * nonce the node holds back forever (seen: an anchor stuck until its 120 s receipt timeout after a
 * kill -9 restart). Here each send completes, or fails and resets the nonce, before the next starts.
 * Before each send the local nonce is compared with the chain's: a chain that lost blocks (a dev node
 * restarted from an older state, a reorg) has a lower one, and a transaction sent with the local
 * nonce would wait behind a gap forever.
 */
export class SerialSender {
  private _tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly _signer: NonceManager,
    private readonly _provider: JsonRpcApiProvider,
  ) {}

  /** Runs `send` after every earlier one has settled; on failure the nonce is re-read from the chain. */
  send<T>(send: () => Promise<T>): Promise<T> {
    const run = this._tail.then(async () => {
      try {
        // A raw call: the provider's getTransactionCount may answer from its 250 ms request cache.
        const [local, chain] = await Promise.all([
          this._signer.getNonce("pending"),
          this._provider.send("eth_getTransactionCount", [await this._signer.getAddress(), "pending"]),
        ]);
        if (local !== Number(chain)) this._signer.reset(); // behind: the key was used elsewhere (a reviewer tool)
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

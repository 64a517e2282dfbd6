import { keccak256, toUtf8Bytes } from "ethers";
import { claimRowOf, type AidProofDb, type BatchRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { Logger } from "../logger";

/** Why an item will never be anchored: the claim it was for is no longer on the chain. */
export const CLAIM_ROLLED_BACK = "CLAIM_ROLLED_BACK";

/**
 * Treats nothing as final that the chain has not made final. Every anchor and every claim this
 * gateway relayed is followed until it is `depth` blocks deep (0 on an instant-finality chain such as
 * QBFT; a few blocks on a dev chain that can lose its last second), and compared with the chain at
 * start (every batch) and continuously (those not final yet):
 * - an anchor the chain no longer has is given up and its items return to the outbox, to be anchored
 *   again under a new root; one re-mined in another block is recorded there;
 * - a relayed claim the chain no longer has (or has under another claimant, its id reused) is marked
 *   rolled back: its claimant's items not yet batched are dropped with CLAIM_ROLLED_BACK, never
 *   batched with others, and the read model takes the chain's claim for that id.
 */
export class FinalityTracker {
  private _running = false;
  private _loop: Promise<void> | undefined;
  private _head = 0;

  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
    readonly depth: number,
    private readonly _log: Logger,
    /** Called for a claim the chain rolled back, so caches of it are dropped. */
    private readonly _onClaimRolledBack: (claimId: string) => void,
    private readonly _pollMs = 1_000,
  ) {}

  /** The chain's head as last seen: receipts count confirmations from it. */
  get head(): number {
    return this._head;
  }

  start(): void {
    this._running = true;
    this._loop = (async () => {
      let all = true; // at start, every batch: the chain may have lost what was final before a reset
      while (this._running) {
        try {
          await this.check(all);
          all = false;
        } catch (error) {
          this._log.warn({ err: error instanceof Error ? error.message : error }, "finality check failed; retrying");
        }
        await new Promise((resolve) => setTimeout(resolve, this._pollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this._running = false;
    await this._loop;
  }

  /** One comparison of the records with the chain: all anchored batches, or those not final yet. */
  async check(all = false): Promise<void> {
    const head = await this._chain.blockNumber();
    if (head < this._head) {
      this._log.warn({ head, before: this._head }, "the chain's head went back: re-checking every batch");
      all = true;
    }
    this._head = head;
    for (const batch of this._db.anchoredBatches(all)) await this._checkBatch(batch);
    for (const claim of this._db.pendingRelayedClaims()) await this._checkClaim(claim);
  }

  private _deep(blockNumber: number): boolean {
    return this._head - blockNumber + 1 >= this.depth;
  }

  private async _checkBatch(batch: BatchRow): Promise<void> {
    const onChain = await this._chain.batch(batch.root);
    if (!onChain || onChain.manifestCidHash !== keccak256(toUtf8Bytes(batch.manifestCid))) {
      this._log.warn(
        { root: batch.root, block: batch.blockNumber, items: batch.leafCount },
        "an anchored batch is no longer on the chain (rolled back): its items will be anchored again",
      );
      this._db.rollBackBatch(batch.root);
      this._chain.resetNonce(); // the gateway key's nonce may be ahead of the chain's now
      return;
    }
    const blockHash = await this._chain.blockHash(onChain.anchoredBlock);
    if (onChain.anchoredBlock !== batch.blockNumber || blockHash !== batch.blockHash) {
      this._db.markBatchAnchored(batch.root, {
        txHash: null,
        blockNumber: onChain.anchoredBlock,
        blockHash,
        blockTime: onChain.anchoredAt,
        batchIndex: onChain.index,
      });
    }
    if (!batch.final && this._deep(onChain.anchoredBlock)) this._db.markBatchFinal(batch.root);
  }

  private async _checkClaim(relayed: { claimId: string; claimant: string; txHash: string; blockNumber: number }) {
    const onChain = await this._chain.claim(BigInt(relayed.claimId));
    if (onChain?.claimant.toLowerCase() === relayed.claimant.toLowerCase()) {
      if (this._deep(relayed.blockNumber)) this._db.markRelayedClaim(relayed.claimId, relayed.txHash, "final");
      return;
    }
    const dropped = this._db.transaction(() => {
      this._db.markRelayedClaim(relayed.claimId, relayed.txHash, "rolled_back");
      this._db.replaceClaim(relayed.claimId, onChain && claimRowOf(onChain, this._head));
      return this._db.dropClaimEvidence(relayed.claimId, relayed.claimant, CLAIM_ROLLED_BACK);
    });
    this._onClaimRolledBack(relayed.claimId);
    this._chain.resetNonce();
    this._log.warn(
      { claimId: relayed.claimId, claimant: relayed.claimant, droppedItems: dropped, reusedBy: onChain?.claimant },
      "a relayed claim is no longer on the chain (rolled back): its pending evidence is dropped",
    );
  }
}

import type { Log } from "ethers";
import { claimRowOf, type AidProofDb } from "../db/database";
import { eventArgs } from "../verify/timeline";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { Logger } from "../logger";
import { PollLoop } from "../node/pollLoop";

const CURSOR = "indexer";
const MAX_RANGE = 2_000;

/**
 * Follows the contracts' events into the read model (claims and their history, attestations and
 * batch verdicts) from a stored block cursor. `rebuild()` drops the read model and replays from the
 * deployment block.
 */
export class Indexer {
  private _poll: PollLoop | undefined;

  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
    private readonly _fromBlock: number,
    private readonly _pollMs: number,
    private readonly _log: Logger,
  ) {}

  start(): void {
    this._poll = new PollLoop(
      () => this.syncOnce(),
      this._pollMs,
      (error) =>
        this._log.warn({ err: error instanceof Error ? error.message : error }, "indexer sync failed; retrying"),
    );
    this._poll.start();
  }

  async stop(): Promise<void> {
    await this._poll?.stop();
  }

  async rebuild(): Promise<void> {
    this._db.resetReadModel();
    await this.syncOnce();
  }

  /** Indexes every block up to the current head; returns the last block indexed. */
  async syncOnce(): Promise<number> {
    const head = await this._chain.blockNumber();
    let cursor = this._db.cursor(CURSOR);
    if (cursor && (cursor.block > head || (await this._chain.blockHash(cursor.block)) !== cursor.hash)) {
      // The chain no longer has the block last indexed (a reorg, or a node restarted from an older
      // state): the read model follows the chain, not its memory.
      this._log.warn({ cursor: cursor.block, head }, "the chain rolled back below the indexed block; re-indexing");
      this._db.resetReadModel();
      cursor = undefined;
    }
    let from = (cursor?.block ?? this._fromBlock - 1) + 1;
    while (from <= head) {
      const to = Math.min(head, from + MAX_RANGE - 1);
      const logs = await this._chain.provider.getLogs({
        address: [this._chain.addresses.claimRegistry, this._chain.addresses.evidenceRegistry],
        fromBlock: from,
        toBlock: to,
      });
      const toHash = await this._chain.blockHash(to);
      const touchedClaims = this._apply(logs);
      const claims = await Promise.all([...touchedClaims].map((id) => this._chain.claim(BigInt(id))));
      this._db.transaction(() => {
        for (const c of claims) {
          if (c) this._db.upsertClaim(claimRowOf(c, to));
        }
        this._db.setCursor(CURSOR, to, toHash);
      });
      from = to + 1;
    }
    return head;
  }

  private _apply(logs: Log[]): Set<string> {
    const touched = new Set<string>();
    const claims = this._chain.claimRegistry.interface;
    const evidence = this._chain.evidenceRegistry.interface;
    const claimAddress = this._chain.addresses.claimRegistry.toLowerCase();
    this._db.transaction(() => {
      for (const log of logs) {
        if (log.address.toLowerCase() === claimAddress) {
          const parsed = claims.parseLog(log);
          if (!parsed) continue;
          const claimId = parsed.args.claimId.toString();
          touched.add(claimId);
          this._db.addClaimEvent({
            claimId,
            blockNumber: log.blockNumber,
            logIndex: log.index,
            txHash: log.transactionHash,
            name: parsed.name,
            args: eventArgs(parsed),
          });
          continue;
        }
        const parsed = evidence.parseLog(log);
        if (!parsed) continue;
        const root = parsed.args.root as string;
        if (parsed.name === "BatchAttested") {
          this._db.upsertAttestation({
            root,
            validator: parsed.args.validator,
            valid: parsed.args.valid,
            txHash: log.transactionHash,
            blockNumber: log.blockNumber,
          });
        } else if (parsed.name === "BatchConfirmed") {
          this._db.recordExcludedLeaves(root, parsed.args.invalidLeaves as string[]);
          this._db.setBatchStatus(root, "confirmed");
        } else if (parsed.name === "BatchRejected") {
          this._db.setBatchStatus(root, "rejected");
        }
      }
    });
    return touched;
  }
}

import { claimRowOf, type AidProofDb, type ClaimRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";

interface ReadSlot {
  running?: Promise<ClaimRow | undefined>;
  queued?: Promise<ClaimRow | undefined>;
}

const ignore = () => undefined;

/** Claims as the read model has them, falling back to the chain for one not indexed yet. */
export class ClaimReader {
  private readonly _slots = new Map<string, ReadSlot>();

  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
  ) {}

  async claim(claimId: string): Promise<ClaimRow | undefined> {
    return this._db.claim(claimId) ?? this.current(claimId);
  }

  /**
   * The claim as the chain has it, read after this call began (the read model may lag by an indexer
   * round). Concurrent callers share reads: one that arrives while a read is running waits for the
   * next one, started when that ends, so under load a claim costs one chain read per round trip,
   * not one per upload, and nobody gets a state read before they asked.
   */
  current(claimId: string): Promise<ClaimRow | undefined> {
    let slot = this._slots.get(claimId);
    if (!slot) {
      slot = {};
      this._slots.set(claimId, slot);
    }
    const running = slot.running;
    if (!running) return this._run(claimId, slot);
    const s = slot;
    s.queued ??= running.then(ignore, ignore).then(() => {
      s.queued = undefined;
      return this._run(claimId, s);
    });
    return s.queued;
  }

  private _run(claimId: string, slot: ReadSlot): Promise<ClaimRow | undefined> {
    const read = this._read(claimId);
    slot.running = read;
    void read.then(ignore, ignore).then(() => {
      if (slot.running === read) slot.running = undefined;
      if (!slot.running && !slot.queued) this._slots.delete(claimId);
    });
    return read;
  }

  private async _read(claimId: string): Promise<ClaimRow | undefined> {
    const onChain = await this._chain.claim(BigInt(claimId));
    if (!onChain) return undefined;
    const row = claimRowOf(onChain, 0); // the indexer overwrites the block with the one it saw the claim at
    if (!this._db.claim(claimId)) this._db.upsertClaim(row);
    return row;
  }
}

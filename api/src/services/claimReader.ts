import type { AidProofDb, ClaimRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";

/** How stale {@link ClaimReader.current} may be: one chain read per claim per second at most. */
const CURRENT_TTL_MS = 1_000;

/** Claims as the read model has them, falling back to the chain for one not indexed yet. */
export class ClaimReader {
  private readonly _recent = new Map<string, { row: ClaimRow; at: number }>();

  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
  ) {}

  async claim(claimId: string): Promise<ClaimRow | undefined> {
    return this._db.claim(claimId) ?? this.current(claimId);
  }

  /**
   * The claim as the chain had it at most a second ago (the read model may lag by an indexer round).
   * Under load this is one chain read per claim per second, not one per upload.
   */
  async current(claimId: string): Promise<ClaimRow | undefined> {
    const recent = this._recent.get(claimId);
    if (recent && Date.now() - recent.at < CURRENT_TTL_MS) return recent.row;
    const onChain = await this._chain.claim(BigInt(claimId));
    if (!onChain) return undefined;
    const row: ClaimRow = {
      ...onChain,
      evidenceRoot: /^0x0+$/.test(onChain.evidenceRoot) ? null : onChain.evidenceRoot,
      updatedBlock: 0, // the indexer overwrites it with the block it saw the claim at
    };
    if (!this._db.claim(claimId)) this._db.upsertClaim(row);
    if (this._recent.size > 10_000) this._recent.clear();
    this._recent.set(claimId, { row, at: Date.now() });
    return row;
  }
}

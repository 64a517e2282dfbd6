import type { AidProofDb, ClaimRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";

/** Claims as the read model has them, falling back to the chain for one not indexed yet. */
export class ClaimReader {
  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
  ) {}

  async claim(claimId: string): Promise<ClaimRow | undefined> {
    return this._db.claim(claimId) ?? this.current(claimId);
  }

  /** The claim as the chain has it now (the read model may lag by an indexer round). */
  async current(claimId: string): Promise<ClaimRow | undefined> {
    const onChain = await this._chain.claim(BigInt(claimId));
    if (!onChain) return undefined;
    const row: ClaimRow = {
      ...onChain,
      evidenceRoot: /^0x0+$/.test(onChain.evidenceRoot) ? null : onChain.evidenceRoot,
      updatedBlock: 0, // the indexer overwrites it with the block it saw the claim at
    };
    if (!this._db.claim(claimId)) this._db.upsertClaim(row);
    return row;
  }
}

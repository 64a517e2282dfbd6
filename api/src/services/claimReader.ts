import type { AidProofDb, ClaimRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";

/** Claims as the read model has them, falling back to the chain for one not indexed yet. */
export class ClaimReader {
  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
  ) {}

  async claim(claimId: string): Promise<ClaimRow | undefined> {
    const indexed = this._db.claim(claimId);
    if (indexed) return indexed;
    const onChain = await this._chain.claim(BigInt(claimId));
    if (!onChain) return undefined;
    const row: ClaimRow = {
      ...onChain,
      evidenceRoot: /^0x0+$/.test(onChain.evidenceRoot) ? null : onChain.evidenceRoot,
      updatedBlock: 0, // the indexer overwrites it with the block it saw the claim at
    };
    this._db.upsertClaim(row);
    return row;
  }
}

import { DomainError } from "../errors";
import type { AidProofDb, ClaimRow } from "../db/database";
import type { ReceiptService } from "./receiptService";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { ClaimReader } from "./claimReader";
import type { SignedFileClaim } from "../chain/typedData";

export const CLAIM_STATES = ["None", "Filed", "UnderReview", "Approved", "Rejected", "Disputed", "Paid"] as const;
export type ClaimStateName = (typeof CLAIM_STATES)[number];

function publicClaim(c: ClaimRow) {
  return {
    claimId: c.claimId,
    claimant: c.claimant,
    planId: c.planId,
    state: CLAIM_STATES[c.state],
    amountRequested: c.amountRequested,
    amountApproved: c.amountApproved,
    metadataCid: c.metadataCid,
    evidenceRoot: c.evidenceRoot,
  };
}

/** Claims: relaying claimant-signed filings, and reading claims with history and evidence. */
export class ClaimService {
  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
    private readonly _reader: ClaimReader,
    private readonly _receipts: ReceiptService,
  ) {}

  async file(input: SignedFileClaim) {
    const filed = await this._chain.fileClaimFor(input);
    // Followed until final: a dev chain can still lose the block (see FinalityTracker).
    this._db.addRelayedClaim({ ...filed, claimant: input.claimant });
    const claim = await this._reader.claim(filed.claimId);
    return { ...publicClaim(claim!), txHash: filed.txHash, blockNumber: filed.blockNumber };
  }

  async get(claimId: string) {
    const claim = await this._reader.claim(claimId);
    if (!claim) throw new DomainError("CLAIM_NOT_FOUND", `no claim ${claimId}`, { claimId });
    // Each item's status as its receipt has it: final before confirmed, excluded leaves rejected.
    const evidence = this._db.claimEvidence(claimId).map((e) => ({
      receiptId: e.receiptId,
      cid: e.cid,
      contentHash: e.contentHash,
      kind: e.kind === 1 ? "private" : "public",
      size: e.size,
      acceptedAt: new Date(e.createdAt).toISOString(),
      batchRoot: e.batchRoot,
      status: this._receipts.receipt(e.receiptId).status,
    }));
    const history = this._db.claimEvents(claimId).map((e) => ({
      event: e.name,
      blockNumber: e.blockNumber,
      txHash: e.txHash,
      args: e.args,
    }));
    return { ...publicClaim(claim), history, evidence };
  }

  list(filter: { state?: ClaimStateName; limit: number; offset: number }) {
    const state = filter.state === undefined ? undefined : CLAIM_STATES.indexOf(filter.state);
    return this._db.claims({ state, limit: filter.limit, offset: filter.offset }).map(publicClaim);
  }
}

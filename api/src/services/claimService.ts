import { DomainError } from "../errors";
import { claimRowOf, type AidProofDb, type ClaimRow } from "../db/database";
import type { ReceiptService } from "./receiptService";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { ClaimReader } from "./claimReader";
import type { SignedFileClaim } from "../chain/typedData";
import { computeEvidenceSet, type EvidenceSetSource } from "../evidence/evidenceSet";
import { rawCidOfSha256 } from "../verify/reason";
import { paymentReferenceText } from "../announcements/announcement";

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

/** Claims: relaying claimant-signed filings and disputes, and reading claims with history and evidence. */
export class ClaimService {
  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
    private readonly _reader: ClaimReader,
    private readonly _receipts: ReceiptService,
    private readonly _evidenceSetSource: EvidenceSetSource,
  ) {}

  async file(input: SignedFileClaim) {
    const filed = await this._chain.fileClaimFor(input);
    // Followed until final: a dev chain can still lose the block (see FinalityTracker).
    this._db.addRelayedClaim({ ...filed, claimant: input.claimant });
    const claim = await this._reader.claim(filed.claimId);
    return { ...publicClaim(claim!), txHash: filed.txHash, blockNumber: filed.blockNumber };
  }

  async get(claimId: string) {
    // The chain's state, not the read model's (an indexer round behind); history comes from the latter.
    const onChain = await this._chain.claim(BigInt(claimId));
    if (!onChain) throw new DomainError("CLAIM_NOT_FOUND", `no claim ${claimId}`, { claimId });
    const claim = claimRowOf(onChain, 0);
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
    const decided = !/^0x0+$/.test(onChain.reasonHash);
    return {
      ...publicClaim(claim),
      reasonHash: decided ? onChain.reasonHash : null,
      reasonCid: decided ? rawCidOfSha256(onChain.reasonHash) : null,
      paymentReference: paymentReferenceText(onChain.paymentReference),
      history,
      evidence,
    };
  }

  /**
   * The claim's evidence set as this gateway computes it (the definition is in
   * api/src/evidence/evidenceSet.ts), with each item's proof bundle. A convenience: members and
   * verifiers recompute it from the chain and the manifests.
   */
  async evidenceSet(claimId: string) {
    if (!(await this._chain.claim(BigInt(claimId))))
      throw new DomainError("CLAIM_NOT_FOUND", `no claim ${claimId}`, { claimId });
    const set = await computeEvidenceSet(this._evidenceSetSource, BigInt(claimId));
    const receipts = this._db.claimEvidence(claimId);
    return {
      claimId: set.claimId,
      cutoffBlock: set.cutoffBlock,
      root: set.root,
      itemCount: set.items.length,
      items: set.items.map((i) => {
        const row = receipts.find(
          (r) => r.batchRoot === i.batchRoot && r.cid === i.item.cid && r.contentHash === i.item.contentHash,
        );
        return {
          leafHash: i.leafHash,
          batchRoot: i.batchRoot,
          cid: i.item.cid,
          contentHash: i.item.contentHash,
          kind: i.item.kind === 1 ? "private" : "public",
          size: i.item.size,
          setProof: i.setProof,
          proof: row ? (this._receipts.receipt(row.receiptId).proof ?? null) : null,
        };
      }),
    };
  }

  /** Relays the claimant's signed dispute; the contract checks the window and whether it can be disputed. */
  async dispute(input: { claimId: bigint; nonce: bigint; deadline: bigint; signature: string }) {
    const relayed = await this._chain.disputeFor(input);
    const claim = await this._reader.current(input.claimId.toString());
    return { ...publicClaim(claim!), txHash: relayed.txHash, blockNumber: relayed.blockNumber };
  }

  list(filter: { state?: ClaimStateName; limit: number; offset: number }) {
    const state = filter.state === undefined ? undefined : CLAIM_STATES.indexOf(filter.state);
    return this._db.claims({ state, limit: filter.limit, offset: filter.offset }).map(publicClaim);
  }
}

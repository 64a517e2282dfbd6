import { DomainError } from "../errors";
import type { AidProofDb, AttestationRow, BatchRow, EvidenceRow } from "../db/database";
import type { ChainAdapter } from "../chain/chainAdapter";
import { buildEvidenceTree, EVIDENCE_LEAF_ENCODING } from "../chain/evidenceLeaf";
import { batchHeader, type EvidenceTree } from "../chain/evidenceTree";
import type { ProofBundle } from "../verify/evidence";

/**
 * pending: accepted, not anchored yet. anchored: on chain, not final or not judged yet (see
 * `confirmations`). confirmed / rejected: final, and the members' verdict on this item. refused: it
 * will never be anchored (`reason`, e.g. its claim was rolled back off the chain).
 */
export type ReceiptStatus = "pending" | "anchored" | "confirmed" | "rejected" | "refused";

export interface Receipt {
  receiptId: string;
  status: ReceiptStatus;
  claimId: string;
  claimant: string;
  cid: string;
  contentHash: string;
  kind: number;
  size: number;
  acceptedAt: string;
  batchRoot: string | null;
  proof?: ProofBundle;
  attestations?: { validator: string; valid: boolean; txHash: string; blockNumber: number }[];
  /** Blocks from the anchor's to the head, the anchor's included. */
  confirmations?: number;
  /** Deep enough that the chain will not roll the anchor back (AIDPROOF_FINALITY_DEPTH). */
  final?: boolean;
  reason?: string;
}

const TREE_CACHE_SIZE = 64;

/** Receipts and their proof bundles, rebuilt from the outbox and the batch rows. */
export class ReceiptService {
  private readonly _trees = new Map<string, EvidenceTree>();

  constructor(
    private readonly _db: AidProofDb,
    private readonly _chain: ChainAdapter,
    /** The chain's head as the finality tracker last saw it. */
    private readonly _finality: { readonly head: number },
  ) {}

  receipt(receiptId: string): Receipt {
    const item = this._db.evidence(receiptId);
    if (!item) throw new DomainError("RECEIPT_NOT_FOUND", `no receipt ${receiptId}`, { receiptId });
    const batch = item.batchRoot ? this._db.batch(item.batchRoot) : undefined;
    const base: Receipt = {
      receiptId,
      status: "pending",
      claimId: item.claimId,
      claimant: item.claimant,
      cid: item.cid,
      contentHash: item.contentHash,
      kind: item.kind,
      size: item.size,
      acceptedAt: new Date(item.createdAt).toISOString(),
      batchRoot: item.batchRoot,
    };
    if (item.dropped) return { ...base, status: "refused", reason: item.dropped };
    if (!batch || batch.blockNumber === null) return base;
    const proof = this.bundle(item, batch);
    const confirmations = Math.max(0, this._finality.head - batch.blockNumber + 1);
    // A verdict counts only once the anchor is final: before that the chain may still lose it.
    const judged = batch.final && (batch.status === "confirmed" || batch.status === "rejected");
    // A confirming verdict may name some leaves invalid: those items are rejected, the others stand.
    const excluded = batch.status === "confirmed" && this._db.isExcluded(batch.root, proof.leafHash);
    const status: ReceiptStatus = !judged ? "anchored" : excluded ? "rejected" : (batch.status as ReceiptStatus);
    const receipt: Receipt = { ...base, status, proof, confirmations, final: batch.final };
    if (batch.status !== "anchored") receipt.attestations = this._db.attestations(batch.root).map(publicAttestation);
    return receipt;
  }

  /** The proof bundle of an anchored item (DESIGN §3.6, docs/proof-bundle.md). */
  bundle(item: EvidenceRow, batch: BatchRow): ProofBundle {
    const tree = this._tree(batch);
    const index = item.leafIndex!;
    return {
      version: 1,
      type: "aidproof/evidence-proof",
      leaf: {
        claimId: item.claimId,
        claimant: item.claimant,
        contentHash: item.contentHash,
        kind: item.kind,
        cid: item.cid,
      },
      leafEncoding: [...EVIDENCE_LEAF_ENCODING],
      leafHash: tree.leafHash(index),
      // The leaves' proof, then the batch header (gateway, salt) the anchored root pairs them with.
      proof: [...tree.getProof(index), batchHeader(batch.gateway, batch.salt)],
      root: batch.root,
      batch: {
        index: batch.batchIndex!,
        leafCount: batch.leafCount,
        manifestCid: batch.manifestCid,
        txHash: batch.txHash,
        blockNumber: batch.blockNumber!,
        blockTimestamp: batch.blockTime!,
      },
      contract: { evidenceRegistry: this._chain.addresses.evidenceRegistry, chainId: this._chain.chainId.toString() },
    };
  }

  private _tree(batch: BatchRow): EvidenceTree {
    const root = batch.root;
    let tree = this._trees.get(root);
    if (!tree) {
      const items = this._db.batchEvidence(root);
      tree = buildEvidenceTree(
        items.map((i) => ({
          claimId: BigInt(i.claimId),
          claimant: i.claimant,
          contentHash: i.contentHash,
          kind: i.kind as 0 | 1,
          cid: i.cid,
        })),
      );
      if (tree.root !== batch.leavesRoot)
        throw new DomainError("INTERNAL_ERROR", `stored batch ${root} does not rebuild to its root`);
      if (this._trees.size >= TREE_CACHE_SIZE) this._trees.delete(this._trees.keys().next().value!);
      this._trees.set(root, tree);
    }
    return tree;
  }
}

export function publicAttestation(a: AttestationRow) {
  return { validator: a.validator, valid: a.valid, txHash: a.txHash, blockNumber: a.blockNumber };
}

import { DomainError } from "../errors";
import type { AidProofDb, BatchRow } from "../db/database";
import { publicAttestation } from "./receiptService";

/** Batches as the gateway anchored them, with the validators' attestations. */
export class BatchService {
  constructor(private readonly _db: AidProofDb) {}

  list(limit: number, offset: number) {
    return this._db.batches(limit, offset).map((b) => this._public(b));
  }

  get(root: string) {
    const batch = this._db.batch(root);
    if (!batch) throw new DomainError("BATCH_NOT_FOUND", `no batch ${root}`, { root });
    return { ...this._public(batch), attestations: this._db.attestations(root).map(publicAttestation) };
  }

  private _public(b: BatchRow) {
    return {
      root: b.root,
      status: b.status === "built" || b.status === "sent" ? "sending" : b.status,
      leafCount: b.leafCount,
      manifestCid: b.manifestCid,
      batchIndex: b.batchIndex,
      txHash: b.txHash,
      blockNumber: b.blockNumber,
      blockTime: b.blockTime,
      createdAt: new Date(b.createdAt).toISOString(),
      anchoredAt: b.anchoredAt === null ? null : new Date(b.anchoredAt).toISOString(),
    };
  }
}

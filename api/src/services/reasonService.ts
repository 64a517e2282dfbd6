import type { EvidenceStore } from "../store/evidenceStore";
import { DomainError } from "../errors";
import { canonicalReasonBytes, parseReasonDocument, rawCidOfSha256, ReasonDocumentError } from "../verify/reason";

/**
 * Public reason documents of review decisions: checked against the schema (fields outside it are
 * refused) and stored in their canonical bytes, whose SHA-256 members endorse on chain.
 */
export class ReasonService {
  constructor(private readonly _store: EvidenceStore) {}

  async store(input: unknown): Promise<{ cid: string; reasonHash: string }> {
    let reason;
    try {
      reason = parseReasonDocument(input);
    } catch (error) {
      if (error instanceof ReasonDocumentError) throw new DomainError("INVALID_REASON", error.message);
      throw error;
    }
    const { cid, sha256 } = await this._store.put(canonicalReasonBytes(reason));
    const reasonHash = `0x${sha256.replace(/^0x/, "")}`;
    // One raw block: the CID follows from the hash members endorse.
    if (cid !== rawCidOfSha256(reasonHash))
      throw new DomainError("STORE_UNAVAILABLE", `the store keeps the reason as ${cid}, not as one raw block`);
    return { cid, reasonHash };
  }
}

import { randomUUID } from "node:crypto";
import { DomainError } from "../errors";
import { DuplicateNonceError, type AidProofDb } from "../db/database";
import type { EvidenceStore, ByteSource } from "../store/evidenceStore";
import type { ChainAdapter } from "../chain/chainAdapter";
import { EvidenceSignatureVerifier } from "../chain/signatures";
import { EvidenceKind } from "../chain/evidenceLeaf";
import {
  ENVELOPE_HEAD_BYTES,
  checkClaimTakesEvidence,
  checkEnvelopeRecipients,
  checkItemDeadline,
  checkSignerIsClaimant,
  itemSigner,
} from "../evidence/itemRules";
import type { ClaimReader } from "./claimReader";

const VALIDATOR_KEYS_TTL_MS = 10_000;
const CLAIMANT_CACHE_SIZE = 10_000;

export interface EvidenceSubmission {
  claimId: bigint;
  kind: EvidenceKind;
  nonce: bigint;
  deadline: bigint;
  /** The SHA-256 the claimant signed, 0x-hex. */
  contentHash: string;
  signature: string;
  content: ByteSource;
}

export interface AcceptedEvidence {
  receiptId: string;
  cid: string;
  size: number;
}

/**
 * Accepts one evidence upload: checks the claimant's EIP-712 signature and the nonce before reading
 * the bytes, then stores them while hashing, and commits them to the store and the outbox only if
 * they hash to the signed value and the claim, as the chain has it, takes evidence. Resolves once
 * the item is durable in the outbox.
 */
export class EvidenceService {
  private _validatorKeys: { keys: string[]; at: number } | undefined;
  /** Claim id to claimant, for recent claims: immutable, and read on every upload. */
  private readonly _claimants = new Map<string, string>();
  private readonly _signatures: EvidenceSignatureVerifier;

  constructor(
    private readonly _db: AidProofDb,
    private readonly _store: EvidenceStore,
    private readonly _chain: ChainAdapter,
    private readonly _claims: ClaimReader,
    private readonly _maxBytes: number,
    private readonly _onAccepted: () => void,
    /** How long before its deadline an item must arrive, so its batch is anchored in time. */
    private readonly _deadlineMarginSeconds = 60,
  ) {
    this._signatures = new EvidenceSignatureVerifier(_chain.chainId, _chain.addresses.evidenceRegistry);
  }

  async submit(input: EvidenceSubmission): Promise<AcceptedEvidence> {
    const { claimant, stillOpen } = await this._checkAuthorization(input);
    let head = Buffer.alloc(0);
    const source = input.content;
    // Only a private item's first bytes are needed (its envelope header), so only those are copied.
    const tapped =
      input.kind === EvidenceKind.Private
        ? (async function* () {
            for await (const chunk of source instanceof Uint8Array ? [source] : source) {
              if (head.length < ENVELOPE_HEAD_BYTES)
                head = Buffer.concat([head, chunk.subarray(0, ENVELOPE_HEAD_BYTES - head.length)]);
              yield chunk;
            }
          })()
        : source;
    const recipients: string[] = [];
    const stored = await this._store.put(tapped, {
      maxBytes: this._maxBytes,
      beforeCommit: async ({ sha256, size }) => {
        if (`0x${sha256}` !== input.contentHash.toLowerCase()) {
          throw new DomainError("CONTENT_HASH_MISMATCH", "the uploaded bytes do not hash to the signed SHA-256", {
            signed: input.contentHash,
            received: `0x${sha256}`,
          });
        }
        await stillOpen;
        if (input.kind === EvidenceKind.Private)
          recipients.push(...checkEnvelopeRecipients(head, size, await this._currentMemberKeys()));
      },
    });

    const receiptId = randomUUID();
    try {
      await this._db.addEvidence({
        receiptId,
        claimId: input.claimId.toString(),
        claimant,
        contentHash: input.contentHash.toLowerCase(),
        kind: input.kind,
        cid: stored.cid,
        size: stored.size,
        nonce: input.nonce.toString(),
        deadline: input.deadline.toString(),
        signature: input.signature,
        recipients,
        createdAt: Date.now(),
        batchRoot: null,
        leafIndex: null,
      });
    } catch (error) {
      if (error instanceof DuplicateNonceError) throw nonceUsed(input.nonce);
      throw error;
    }
    this._onAccepted();
    return { receiptId, cid: stored.cid, size: stored.size };
  }

  /**
   * Everything that can be checked before reading the file. Returns the claimant and the check that
   * the claim takes evidence as the chain has it now: that chain read runs while the bytes stream in
   * and is awaited before anything is committed. The claimant of a claim never changes, so the read
   * model's answer (kept in memory for recent claims) is enough to check the signature without
   * waiting for the chain.
   */
  private async _checkAuthorization(
    input: EvidenceSubmission,
  ): Promise<{ claimant: string; stillOpen: Promise<void> }> {
    // The item must still be within its deadline when its batch is anchored: validators check it
    // against the anchor block's time.
    checkItemDeadline(input.deadline, BigInt(Math.floor(Date.now() / 1000) + this._deadlineMarginSeconds));
    const signer = itemSigner(this._signatures, input, input.signature);
    const claimId = input.claimId.toString();
    const current = this._claim(claimId);
    const stillOpen = current.then((claim) => {
      if (!claim) throw claimNotFound(claimId);
      // The claimant below may come from the read model; the chain has the last word.
      checkSignerIsClaimant(signer, claim.claimant);
      checkClaimTakesEvidence(claimId, claim.state);
    });
    stillOpen.catch(() => undefined); // awaited before commit; an upload that fails earlier never does
    let claimant = this._claimants.get(claimId) ?? this._db.claim(claimId)?.claimant;
    if (claimant?.toLowerCase() !== signer) {
      // Unknown here, or another claimant: a claim id the chain rolled back and gave to someone else
      // must not refuse its new claimant on the word of a cache. The chain decides.
      const claim = await current;
      if (!claim) throw claimNotFound(claimId);
      claimant = claim.claimant;
    }
    if (!this._claimants.has(claimId)) {
      if (this._claimants.size >= CLAIMANT_CACHE_SIZE) this._claimants.delete(this._claimants.keys().next().value!);
      this._claimants.set(claimId, claimant);
    }
    checkSignerIsClaimant(signer, claimant);
    if (this._db.nonceUsed(claimant, input.nonce.toString())) throw nonceUsed(input.nonce);
    return { claimant, stillOpen };
  }

  /** Drops what is cached of a claim the chain rolled back. */
  forgetClaim(claimId: string): void {
    this._claimants.delete(claimId);
  }

  /**
   * The claim as the chain has it (a claim decided a moment ago must not take more evidence); while
   * the chain is unreachable, as the read model last saw it, so uploads go on during an outage.
   */
  private async _claim(claimId: string) {
    try {
      return await this._claims.current(claimId);
    } catch (error) {
      const lastSeen =
        error instanceof DomainError && error.code === "CHAIN_UNAVAILABLE" ? this._db.claim(claimId) : undefined;
      if (lastSeen) return lastSeen;
      throw error;
    }
  }

  /** The members' encryption keys, refreshed every few seconds; the last known ones during an outage. */
  private async _currentMemberKeys(): Promise<string[]> {
    if (!this._validatorKeys || Date.now() - this._validatorKeys.at > VALIDATOR_KEYS_TTL_MS) {
      try {
        const keys = await this._chain.validatorEncryptionKeys();
        this._validatorKeys = { keys, at: Date.now() };
      } catch (error) {
        if (!this._validatorKeys) throw error;
      }
    }
    return this._validatorKeys.keys;
  }
}

function claimNotFound(claimId: string): DomainError {
  return new DomainError("CLAIM_NOT_FOUND", `no claim ${claimId}`, { claimId });
}

function nonceUsed(nonce: bigint): DomainError {
  return new DomainError("NONCE_ALREADY_USED", `nonce ${nonce} was used already`, { nonce: nonce.toString() });
}

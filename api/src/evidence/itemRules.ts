import { DomainError } from "../errors";
import { parseEnvelopeHeader } from "../crypto/envelope";
import type { EvidenceSignatureVerifier, EvidenceMessage } from "../chain/signatures";

/**
 * The rules one evidence item must meet, in one place: the gateway applies them before it
 * acknowledges an upload and every validator applies the same functions before it attests, so an
 * item the gateway accepted cannot be judged differently by the validators (a difference there let
 * one claimant get a whole batch of other claimants' evidence rejected).
 */

/**
 * Claim states that take evidence: Filed and Disputed (IClaimRegistry.ClaimState). Not UnderReview:
 * the evidence set a decision is made on is fixed when the review starts (evidence/evidenceSet.ts),
 * so an item accepted then could never count, and its confirmed receipt would mislead.
 */
export const CLAIM_STATES_TAKING_EVIDENCE: ReadonlySet<number> = new Set([1, 5]);

/** An envelope's header must lie within its first 64 KiB: all the gateway holds of a streamed upload. */
export const ENVELOPE_HEAD_BYTES = 64 * 1024;

/** A broken rule, with the stable code the gateway answers with and a validator records. */
export class ItemRuleError extends DomainError {}

/** The signer of an item (65-byte low-s ECDSA over the EvidenceRegistry's EIP-712 domain), lowercase. */
export function itemSigner(verifier: EvidenceSignatureVerifier, message: EvidenceMessage, signature: string): string {
  try {
    return verifier.recover(message, signature);
  } catch {
    throw new ItemRuleError("INVALID_SIGNATURE", "the signature is malformed");
  }
}

/** The signer must be the claim's claimant. */
export function checkSignerIsClaimant(signer: string, claimant: string): void {
  if (signer !== claimant.toLowerCase()) {
    throw new ItemRuleError("INVALID_SIGNATURE", "the signature is not the claimant's (wrong key, chain or fields)");
  }
}

/** The signed deadline must not have passed at `atSeconds` (upload time, or the anchor block's time). */
export function checkItemDeadline(deadline: bigint, atSeconds: bigint): void {
  if (deadline < atSeconds) {
    throw new ItemRuleError("SIGNATURE_EXPIRED", "the signed upload has expired", {
      deadline: deadline.toString(),
      at: atSeconds.toString(),
    });
  }
}

/** The claim must take evidence in `state`. */
export function checkClaimTakesEvidence(claimId: string, state: number): void {
  if (!CLAIM_STATES_TAKING_EVIDENCE.has(state)) {
    throw new ItemRuleError("CLAIM_CLOSED_FOR_EVIDENCE", `claim ${claimId} takes no evidence in its state`, { state });
  }
}

/** A compressed public key as the envelope header writes it: lowercase hex without 0x. */
export function normalizeKey(key: string): string {
  return key.replace(/^0x/, "").toLowerCase();
}

/**
 * A private item must be an envelope wrapped for exactly the current members' encryption keys: not
 * fewer (a member could not review it), not more (an extra key is someone outside the consortium
 * reading medical evidence), no key twice. `head` is the envelope's first bytes (at most
 * {@link ENVELOPE_HEAD_BYTES} are read) and `size` its whole length. Returns the recipients.
 */
export function checkEnvelopeRecipients(head: Uint8Array, size: number, memberKeys: readonly string[]): string[] {
  let recipients: string[];
  try {
    recipients = parseEnvelopeHeader(head.subarray(0, ENVELOPE_HEAD_BYTES), size).recipients.map((r) => r.publicKey);
  } catch (error) {
    throw new ItemRuleError(
      "ENVELOPE_MALFORMED",
      `private evidence must be an envelope: ${error instanceof Error ? error.message : error}`,
    );
  }
  const expected = new Set(memberKeys.map(normalizeKey));
  const given = new Set(recipients);
  const missing = [...expected].filter((k) => !given.has(k));
  const extra = [...given].filter((k) => !expected.has(k));
  if (missing.length > 0 || extra.length > 0 || given.size !== recipients.length) {
    throw new ItemRuleError(
      "ENVELOPE_RECIPIENTS_MISMATCH",
      "the envelope must be wrapped for exactly the current members' keys",
      { missing, extra, duplicates: recipients.length - given.size },
    );
  }
  return recipients;
}

/**
 * The public reason document of a review decision (docs/architecture.md, "Claim review"). Members
 * endorse its SHA-256 on chain with the decision, so the reason published is the one M members
 * agreed on. It is public: it holds only what a member of the plan needs to judge the decision, in
 * closed fields, and a short text. No names, dates of birth, diagnoses in words or medications.
 */
import { z } from "zod";
import { sha256Hex } from "./content";

const uint = z.string().regex(/^(0|[1-9]\d{0,38})$/, "a decimal amount in the smallest currency unit");

export const reasonDocumentSchema = z.strictObject({
  version: z.literal(1),
  type: z.literal("aidproof/decision-reason"),
  claimId: z.string().regex(/^[1-9]\d{0,77}$/, "a claim id"),
  decision: z.enum(["approve", "reject"]),
  /** The plan's own code of the covered illness (for example "CI-07"), not a diagnosis in words. */
  illnessCode: z.string().regex(/^[A-Z][A-Z0-9.-]{1,15}$/, "the plan's illness code, like CI-07"),
  hospitalTier: z.enum(["tertiary", "secondary", "primary", "other"]),
  ageBand: z.enum(["0-17", "18-39", "40-59", "60+"]),
  /** ISO 3166-2 province or region code, for example CN-ZJ. */
  region: z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, "an ISO 3166-2 region code, like CN-ZJ"),
  diagnosisMonth: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "YYYY-MM"),
  amountRequested: uint,
  amountApproved: uint,
  /** The plan rule the decision applies, for example "3.2 waiting period". */
  planRule: z.string().min(1).max(80),
  publicText: z.string().max(600),
});

export type ReasonDocument = z.infer<typeof reasonDocumentSchema>;

export class ReasonDocumentError extends Error {}

/** Parses a reason document; fields outside the schema are refused, each problem named. */
export function parseReasonDocument(input: unknown): ReasonDocument {
  const parsed = reasonDocumentSchema.safeParse(input);
  if (!parsed.success) throw new ReasonDocumentError(`not a valid reason document: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The document's canonical bytes: its fields in schema order, no whitespace, UTF-8. Two members
 * holding the same document (however formatted) endorse the same hash.
 */
export function canonicalReasonBytes(reason: ReasonDocument): Uint8Array {
  const ordered = Object.fromEntries(
    Object.keys(reasonDocumentSchema.shape).map((key) => [key, reason[key as keyof ReasonDocument]]),
  );
  return new TextEncoder().encode(JSON.stringify(ordered));
}

/** The hash endorsed on chain: SHA-256 of the canonical bytes, which is also the digest of its CID. */
export async function reasonHash(reason: ReasonDocument): Promise<string> {
  return sha256Hex(canonicalReasonBytes(reason));
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/**
 * The CIDv1 of a single raw block whose SHA-256 is `sha256` (0x-hex): what the store gives any
 * document under 1 MiB (raw leaves, one chunk). So the CID of a reason follows from the hash on chain.
 */
export function rawCidOfSha256(sha256: string): string {
  const digest = sha256.replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{64}$/.test(digest)) throw new RangeError("a SHA-256 digest is 32 bytes");
  // CIDv1, raw codec (0x55), multihash sha2-256 (0x12) of 32 bytes (0x20).
  const bytes = [0x01, 0x55, 0x12, 0x20, ...(digest.match(/../g) ?? []).map((b) => parseInt(b, 16))];
  let bits = 0;
  let value = 0;
  let out = "b";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

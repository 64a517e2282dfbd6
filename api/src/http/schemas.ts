import { getAddress } from "ethers";
import { z } from "zod";
import { CLAIM_STATES } from "../services/claimService";

const DECIMAL = /^\d{1,78}$/;

/** An unsigned integer of `bits` bits in decimal: out of range is bad input (400), never a chain error. */
const uint = (bits: number) =>
  z
    .string()
    .regex(DECIMAL, "a non-negative integer in decimal")
    // zod runs every check even after one failed: BigInt() only sees decimals.
    .refine((v) => !DECIMAL.test(v) || BigInt(v) < 1n << BigInt(bits), `at most 2^${bits} - 1 (uint${bits})`);
const uint256 = uint(256);
/** An address; mixed case must be its EIP-55 checksum (all lower or all upper case carries none). */
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 0x-prefixed address")
  .refine((v) => {
    try {
      getAddress(v);
      return true;
    } catch {
      return false;
    }
  }, "a mixed-case address must carry a valid EIP-55 checksum");
const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "0x and 64 hex digits");
const signature = z.string().regex(/^0x[0-9a-fA-F]{130}$/, "a 65-byte 0x-hex signature");

export const fileClaimBody = z
  .object({
    claimant: address,
    planId: uint(64).describe("the mutual-aid plan (uint64)"),
    amount: uint(128).describe("amount asked, in the plan's smallest unit (uint128)"),
    metadataCid: z.string().min(1).max(200).describe("CID of the claim's (encrypted) metadata"),
    nonce: uint256.describe("the claimant's current ClaimRegistry nonce"),
    deadline: uint256.describe("unix seconds after which the signature is void"),
    signature: signature.describe("EIP-712 FileClaim signature by the claimant"),
  })
  .strict();

export const claimIdParams = z.object({ claimId: uint256 });

export const disputeBody = z
  .object({
    nonce: uint256.describe("the claimant's current ClaimRegistry nonce"),
    deadline: uint256.describe("unix seconds after which the signature is void"),
    signature: signature.describe("EIP-712 DisputeClaim signature by the claimant"),
  })
  .strict();

export const periodParams = z.object({ period: uint256 });

export const claimantParams = z.object({ address });

export const listClaimsQuery = z
  .object({
    state: z.enum(CLAIM_STATES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export const evidenceFields = z
  .object({
    kind: z.enum(["public", "private"]),
    contentHash: hex32.describe("SHA-256 of the uploaded bytes (the envelope, when private)"),
    nonce: uint256.describe("any uint256 this claimant has not used for evidence"),
    deadline: uint256.describe("unix seconds; the item must be anchored by then"),
    signature: signature.describe("EIP-712 Evidence signature by the claimant"),
  })
  .strict();

export const receiptIdParams = z.object({ receiptId: z.uuid() });

export const batchRootParams = z.object({ root: hex32 });

export const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

const uint32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

export const jurorBody = z
  .object({
    voter: address.describe("the juror's voting key (an address)"),
    memberHash: hex32.describe("salted hash of the platform's member id"),
    qualifiedAt: z
      .number()
      .int()
      .min(0)
      .max(2 ** 48 - 1)
      .describe("unix seconds the member qualified as a juror"),
    credential: signature.describe("the platform's EIP-712 JurorCredential signature (a GATEWAY holder)"),
  })
  .strict();

export const ballotBody = z
  .object({
    round: uint32.describe("the case round the ballot is for"),
    juror: address.describe("the juror's voting key"),
    sequence: uint32.describe("a later sequence replaces the juror's earlier ballot"),
    envelope: z
      .string()
      .regex(/^0x([0-9a-fA-F]{2}){49,8209}$/, "the sealed envelope, 0x-hex")
      .describe("the choice sealed to the case's ballot keys"),
    signature: signature.describe("EIP-712 Ballot signature by the juror"),
  })
  .strict();

export const jurorParams = z.object({ claimId: uint256, juror: address });

/** Most changes in one request: a 1 MB body. */
export const MAX_MEMBERSHIP_CHANGES = 10_000;

export const membershipChangesBody = z
  .object({
    sequence: uint256.describe("the platform's sequence: above the last accepted, so a replay is refused"),
    changes: z
      .array(
        z
          .object({
            kind: z.enum(["join", "leave"]),
            member: hex32.describe("salted hash of the platform's member id").transform((v) => v.toLowerCase()),
          })
          .strict(),
      )
      .min(1)
      .max(MAX_MEMBERSHIP_CHANGES),
    signature: signature.describe(
      "EIP-712 MembershipChanges(sequence, changesHash) by a GATEWAY holder, on the MembershipRegistry's domain",
    ),
  })
  .strict();

/** A charged period: small enough that its bounds fit the chain's uint48 timestamps. */
const chargePeriod = uint(24);
export const chargePeriodParams = z.object({ period: chargePeriod });
export const memberChargeParams = z.object({ memberHash: hex32 });
export const memberChargeQuery = z.object({ period: chargePeriod }).strict();

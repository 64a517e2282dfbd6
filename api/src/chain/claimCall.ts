import { getAddress, id } from "ethers";
import { WORD, uintWord } from "./encoding";

/** The fields of IClaimRegistry.Claim the gateway reads, as plain strings and numbers. */
export interface ClaimFields {
  claimant: string;
  planId: string;
  state: number;
  amountRequested: string;
  amountApproved: string;
  metadataCid: string;
  evidenceRoot: string;
  reasonHash: string;
  paymentReference: string;
}

const CLAIM_SELECTOR = id("claim(uint256)").slice(0, 10);
/** Head words of the Claim tuple, in declaration order; metadataCid's is the offset of its bytes. */
const FIELD = {
  claimant: 0,
  planId: 1,
  state: 2,
  amountRequested: 4,
  amountApproved: 5,
  evidenceRoot: 8,
  reasonHash: 9,
  paymentReference: 10,
  metadataCid: 11,
};
const HEAD_WORDS = 12;

/** Calldata of `claim(claimId)`. */
export function encodeClaimCall(claimId: bigint): string {
  return `${CLAIM_SELECTOR}${uintWord(claimId, "claimId").toString("hex")}`;
}

/**
 * Decodes what `claim(claimId)` returns, with the fixed layout of IClaimRegistry.Claim written out:
 * the gateway reads a claim on every upload round trip, and ethers' generic decoder was most of the
 * event-loop time of that read. Tests hold it equal to ethers' decoding of the contract's ABI.
 */
export function decodeClaimResult(result: string): ClaimFields {
  const body = Buffer.from(result.replace(/^0x/, ""), "hex");
  const word = (at: number) => `0x${body.subarray(at, at + WORD).toString("hex")}`;
  const uint = (at: number) => BigInt(word(at));
  const tuple = Number(uint(0));
  if (body.length < tuple + HEAD_WORDS * WORD) throw new RangeError("claim result too short");
  const field = (name: keyof typeof FIELD) => tuple + FIELD[name] * WORD;
  const cidAt = tuple + Number(uint(field("metadataCid")));
  const cidLength = Number(uint(cidAt));
  if (body.length < cidAt + WORD + cidLength) throw new RangeError("claim result too short");
  return {
    claimant: getAddress(`0x${body.subarray(field("claimant") + 12, field("claimant") + WORD).toString("hex")}`),
    planId: uint(field("planId")).toString(),
    state: Number(uint(field("state"))),
    amountRequested: uint(field("amountRequested")).toString(),
    amountApproved: uint(field("amountApproved")).toString(),
    metadataCid: body.subarray(cidAt + WORD, cidAt + WORD + cidLength).toString("utf8"),
    evidenceRoot: word(field("evidenceRoot")),
    reasonHash: word(field("reasonHash")),
    paymentReference: word(field("paymentReference")),
  };
}

/**
 * Membership for cost sharing (docs/architecture.md, "Cost sharing"). Members are pseudonymous: a
 * member hash is a salted hash of the platform's member id, and nothing else about a member leaves
 * the platform. Changes are recorded in batches: a batch is a file in IPFS of 33-byte records (a kind
 * byte, 1 join or 2 leave, then the 32-byte member hash), and the MembershipRegistry orders the
 * batches and timestamps each. Who shares a period's costs follows from the batches alone.
 */
import { getBytes, hexlify, keccak256, verifyTypedData, type Provider, type Signer } from "ethers";
import { MembershipRegistry__factory } from "../../../typechain-types";
import { inRanges } from "../evidence/evidenceSet";

export type MembershipChangeKind = "join" | "leave";

export interface MembershipChange {
  kind: MembershipChangeKind;
  /** 0x-prefixed, 32 bytes, lower case. */
  member: string;
}

const RECORD_BYTES = 33;
const KIND_BYTE: Record<MembershipChangeKind, number> = { join: 1, leave: 2 };
const KIND_OF: Record<number, MembershipChangeKind> = { 1: "join", 2: "leave" };

export class MembershipBatchError extends Error {}

export function encodeMembershipBatch(changes: MembershipChange[]): Uint8Array {
  const bytes = new Uint8Array(changes.length * RECORD_BYTES);
  changes.forEach((change, i) => {
    bytes[i * RECORD_BYTES] = KIND_BYTE[change.kind];
    bytes.set(getBytes(change.member), i * RECORD_BYTES + 1);
  });
  return bytes;
}

/** The changes of a batch file; throws {@link MembershipBatchError} on anything but whole, known records. */
export function decodeMembershipBatch(bytes: Uint8Array): MembershipChange[] {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0)
    throw new MembershipBatchError(
      `a membership batch is whole ${RECORD_BYTES}-byte records, not ${bytes.length} bytes`,
    );
  const changes: MembershipChange[] = [];
  for (let at = 0; at < bytes.length; at += RECORD_BYTES) {
    const kind = KIND_OF[bytes[at]];
    if (!kind) throw new MembershipBatchError(`record ${at / RECORD_BYTES} has unknown kind ${bytes[at]}`);
    changes.push({ kind, member: hexlify(bytes.subarray(at + 1, at + RECORD_BYTES)) });
  }
  return changes;
}

export function countKinds(changes: MembershipChange[]): { joins: number; leaves: number } {
  const joins = changes.filter((c) => c.kind === "join").length;
  return { joins, leaves: changes.length - joins };
}

export interface RecordedBatch {
  index: number;
  cid: string;
  /** Block timestamp of the batch's recording, in seconds. */
  recordedAt: number;
  joins: number;
  leaves: number;
}

/**
 * The eligibility rule. Replaying the batches in their on-chain order, a join makes a non-member a
 * member as of its batch's time (a join of a member changes nothing, so a join recorded twice keeps
 * the first time), and a leave ends membership (a leave of a non-member changes nothing). A member
 * shares a period's costs when, at the period's close, it is a member whose join was recorded at
 * least `waitingSeconds` earlier: the members covered when the period's bill is announced, so one
 * who leaves after the close still pays that period. Returns the eligible member hashes sorted
 * ascending, concatenated: the eligible set's canonical order.
 */
export function deriveEligibleSet(
  batches: { recordedAt: number; changes: MembershipChange[] }[],
  closesAt: number,
  waitingSeconds: number,
): Buffer {
  const joinedAt = new Map<string, number>();
  for (const batch of batches) {
    if (batch.recordedAt >= closesAt) break;
    for (const change of batch.changes) {
      if (change.kind === "leave") joinedAt.delete(change.member);
      else if (!joinedAt.has(change.member)) joinedAt.set(change.member, batch.recordedAt);
    }
  }
  const eligible = [...joinedAt].filter(([, at]) => at + waitingSeconds <= closesAt).map(([member]) => member);
  eligible.sort();
  return Buffer.concat(eligible.map((m) => getBytes(m)));
}

/** Every membership batch recorded from `fromBlock`, in order, as the chain has them. */
export async function readMembershipBatches(
  provider: Provider,
  registryAddress: string,
  fromBlock: number,
): Promise<RecordedBatch[]> {
  const registry = MembershipRegistry__factory.connect(registryAddress, provider);
  const head = await provider.getBlockNumber();
  const logs = await inRanges(
    fromBlock,
    "latest",
    (from, to) => registry.queryFilter(registry.filters.MembershipBatchRecorded(), from, to),
    head,
  );
  return logs
    .map((log) => ({
      index: Number(log.args.index),
      cid: log.args.cid,
      recordedAt: Number(log.args.recordedAt),
      joins: Number(log.args.joins),
      leaves: Number(log.args.leaves),
    }))
    .sort((a, b) => a.index - b.index);
}

/**
 * The platform's signature over a list of changes it hands the gateway: EIP-712
 * `MembershipChanges(uint256 sequence, bytes32 changesHash)` on the MembershipRegistry's domain,
 * with `changesHash` the keccak256 of the batch encoding. The sequence only grows, so a replayed
 * list (an old join after a leave) is refused.
 */
export const MEMBERSHIP_CHANGES_TYPES = {
  MembershipChanges: [
    { name: "sequence", type: "uint256" },
    { name: "changesHash", type: "bytes32" },
  ],
};

export function membershipDomain(chainId: bigint, membershipRegistry: string) {
  return { name: "AidProof Membership", version: "1", chainId, verifyingContract: membershipRegistry };
}

export function membershipChangesValue(sequence: bigint, changes: MembershipChange[]) {
  return { sequence, changesHash: keccak256(encodeMembershipBatch(changes)) };
}

export function recoverMembershipSigner(
  domain: ReturnType<typeof membershipDomain>,
  sequence: bigint,
  changes: MembershipChange[],
  signature: string,
): string {
  return verifyTypedData(domain, MEMBERSHIP_CHANGES_TYPES, membershipChangesValue(sequence, changes), signature);
}

/** The platform signs a list of changes it hands the gateway. */
export function signMembershipChanges(
  platform: Signer,
  domain: ReturnType<typeof membershipDomain>,
  sequence: bigint,
  changes: MembershipChange[],
): Promise<string> {
  return platform.signTypedData(domain, MEMBERSHIP_CHANGES_TYPES, membershipChangesValue(sequence, changes));
}

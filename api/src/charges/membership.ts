/**
 * Membership for cost sharing (docs/architecture.md, "Cost sharing"). Members are pseudonymous: a
 * member hash is a salted hash of the platform's member id, and nothing else about a member leaves
 * the platform. Changes are recorded in batches: a batch is a file in IPFS of 33-byte records (a kind
 * byte, 1 join or 2 leave, then the 32-byte member hash), and the MembershipRegistry orders the
 * batches and timestamps each. Who shares a period's costs follows from the batches alone.
 */
import { getBytes, hexlify, keccak256, verifyTypedData, type Provider, type Signer } from "ethers";
import { MembershipRegistry__factory } from "../../../typechain-types";
import { inRanges } from "../chain/logRanges";

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

/** Largest membership batch file every member fetches: a larger one changes nothing, on every node alike. */
export const MAX_MEMBERSHIP_BATCH_BYTES = 8 * 1024 * 1024;

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

/** Checks a batch file is whole, known records; returns it as is (the derivation reads the bytes). */
export function checkMembershipBatch(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0)
    throw new MembershipBatchError(
      `a membership batch is whole ${RECORD_BYTES}-byte records, not ${bytes.length} bytes`,
    );
  for (let at = 0; at < bytes.length; at += RECORD_BYTES)
    if (!KIND_OF[bytes[at]])
      throw new MembershipBatchError(`record ${at / RECORD_BYTES} has unknown kind ${bytes[at]}`);
  return bytes;
}

/** Eligible members are yielded in chunks of this many 32-byte hashes. */
const ELIGIBLE_CHUNK = 1 << 16;

/**
 * The eligibility rule. Replaying the batches in their on-chain order, a join makes a non-member a
 * member as of its batch's time (a join of a member changes nothing, so a join recorded twice keeps
 * the first time), and a leave ends membership (a leave of a non-member changes nothing). A member
 * shares a period's costs when, at the period's close, it is a member whose join was recorded at
 * least `waitingSeconds` earlier: the members covered when the period's bill is announced, so one
 * who leaves after the close still pays that period. Yields the eligible member hashes sorted
 * ascending (the eligible set's canonical order), concatenated, in chunks.
 *
 * At the plan's scale there are tens of millions of records, so no object per member: every record
 * gets a sort key packing the top bits of its member hash above its position in chain order, one
 * native sort of doubles groups each member's records in order, and only members whose top bits
 * collide are compared in full. Memory: 8 bytes per record beside the records themselves.
 */
export function* deriveEligibleSet(
  batches: { recordedAt: number; records: Uint8Array }[],
  closesAt: number,
  waitingSeconds: number,
): Generator<Uint8Array> {
  const closed = batches.findIndex((b) => b.recordedAt >= closesAt);
  const live = closed === -1 ? batches : batches.slice(0, closed);
  // Record i lives in batch b where starts[b] <= i < starts[b + 1]: the batches are not copied.
  const starts = [0];
  for (const b of live) starts.push(starts[starts.length - 1] + b.records.length / RECORD_BYTES);
  const count = starts[starts.length - 1];
  const batchOf = (i: number) => {
    let low = 0;
    let high = live.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (starts[middle] <= i) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const recordOf = (i: number) => {
    const b = batchOf(i);
    const at = (i - starts[b]) * RECORD_BYTES;
    return {
      kind: live[b].records[at],
      hash: live[b].records.subarray(at + 1, at + RECORD_BYTES),
      time: live[b].recordedAt,
    };
  };

  // key = top `prefixBits` bits of the member hash, then the record's index: exact in a double.
  const indexBits = Math.max(1, Math.ceil(Math.log2(count + 1)));
  const prefixBits = Math.min(32, 53 - indexBits);
  const indexSpan = 2 ** indexBits;
  const keys = new Float64Array(count);
  live.forEach((b, n) => {
    const view = new DataView(b.records.buffer, b.records.byteOffset, b.records.byteLength);
    for (let i = starts[n]; i < starts[n + 1]; i++)
      keys[i] = Math.floor(view.getUint32((i - starts[n]) * RECORD_BYTES + 1) / 2 ** (32 - prefixBits)) * indexSpan + i;
  });
  keys.sort();

  const hashOf = (i: number) => {
    const { hash } = recordOf(i);
    return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength); // a view, not a copy
  };
  const out = Buffer.alloc(ELIGIBLE_CHUNK * 32);
  let filled = 0;
  for (let k = 0; k < count;) {
    const prefix = Math.floor(keys[k] / indexSpan);
    let end = k + 1;
    while (end < count && Math.floor(keys[end] / indexSpan) === prefix) end++;
    const run: number[] = [];
    for (let r = k; r < end; r++) run.push(keys[r] % indexSpan);
    // Members sharing the top bits: whole hashes decide, chain order within one member.
    if (run.length > 1) run.sort((a, b) => Buffer.compare(hashOf(a), hashOf(b)) || a - b);
    for (let r = 0; r < run.length;) {
      let joinedAt: number | undefined;
      let next = r;
      do {
        const record = recordOf(run[next]);
        if (record.kind === KIND_BYTE.leave) joinedAt = undefined;
        else joinedAt ??= record.time;
        next++;
      } while (next < run.length && hashOf(run[next]).equals(hashOf(run[r])));
      if (joinedAt !== undefined && joinedAt + waitingSeconds <= closesAt) {
        hashOf(run[r]).copy(out, filled * 32);
        if (++filled === ELIGIBLE_CHUNK) {
          yield Buffer.from(out);
          filled = 0;
        }
      }
      r = next;
    }
    k = end;
  }
  if (filled > 0) yield Buffer.from(out.subarray(0, filled * 32));
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

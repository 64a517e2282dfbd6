/**
 * Equal cost sharing, exact (docs/architecture.md, "Cost sharing"). A period's bill (payouts + fee +
 * what the last period carried) in the smallest currency unit is divided among the eligible members
 * so that shares differ by at most one unit and sum exactly to what is charged: everyone pays
 * floor(total / n), and the total mod n members first in the order of keccak256(abi.encode(period,
 * memberHash)) pay one unit more (largest remainder: with an equal split every remainder ties, and
 * this order changes every period). A per-member cap bounds every share; what it leaves uncharged is
 * carried into the next period's bill, never lost.
 */
import type { BulkKeccak } from "./hasher";

export interface Bill {
  period: bigint;
  /** What this period must raise: payouts + fee + the last period's carry. */
  total: bigint;
  /** Most a member pays in a period; none when undefined. */
  cap?: bigint;
}

export interface Apportionment {
  period: bigint;
  memberCount: number;
  total: bigint;
  /** What the shares sum to: the total, or less under the cap. */
  charged: bigint;
  /** total - charged: carried into the next period's bill. */
  carry: bigint;
  /** Every member pays base, the ones marked in `extra` base + 1. */
  base: bigint;
  extra: Uint8Array;
}

export function amountOf(a: Apportionment, index: number): bigint {
  return a.base + BigInt(a.extra[index]);
}

const WORD = 32;

/** abi.encode(uint256 period, bytes32 memberHash): the tie-order preimage. */
function tiePreimage(period: bigint, memberHash: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(2 * WORD);
  bytes.set(uintBytes(period), 0);
  bytes.set(memberHash, WORD);
  return bytes;
}

export function uintBytes(value: bigint): Uint8Array {
  return Buffer.from(value.toString(16).padStart(2 * WORD, "0"), "hex");
}

/**
 * The tie-order key prefixes of members given as consecutive 32-byte hashes: the first 48 bits of
 * keccak256(abi.encode(period, memberHash)), exact as doubles. Written into `out` from `offset`.
 */
export function tieKeyPrefixes(
  keccak: BulkKeccak,
  period: bigint,
  memberHashes: Uint8Array,
  out: Float64Array,
  offset: number,
): void {
  const preimage = tiePreimage(period, new Uint8Array(WORD));
  const digest = new Uint8Array(WORD);
  for (let i = 0; i * WORD < memberHashes.length; i++) {
    preimage.set(memberHashes.subarray(i * WORD, (i + 1) * WORD), WORD);
    keccak.hashInto(preimage, digest, 0);
    out[offset + i] =
      digest[0] * 2 ** 40 +
      digest[1] * 2 ** 32 +
      ((digest[2] << 24) >>> 0) +
      (digest[3] << 16) +
      (digest[4] << 8) +
      digest[5];
  }
}

/**
 * Apportions `bill` among `prefixes.length` members. `fullKey(i)` gives member i's whole tie key,
 * needed only for members whose 48-bit prefix ties at the boundary.
 */
export function apportion(bill: Bill, prefixes: Float64Array, fullKey: (index: number) => Uint8Array): Apportionment {
  const n = prefixes.length;
  const extra = new Uint8Array(n);
  const empty = { period: bill.period, memberCount: n, total: bill.total, extra };
  if (bill.total < 0n) throw new RangeError("a bill is not negative");
  if (n === 0) return { ...empty, charged: 0n, carry: bill.total, base: 0n };
  const members = BigInt(n);
  if (bill.cap !== undefined && bill.total > bill.cap * members) {
    const charged = bill.cap * members;
    return { ...empty, charged, carry: bill.total - charged, base: bill.cap };
  }
  const base = bill.total / members;
  const remainder = Number(bill.total % members);
  if (remainder > 0) markFirst(prefixes, remainder, fullKey, extra);
  return { ...empty, charged: bill.total, carry: 0n, base };
}

/** Marks in `extra` the `count` members first in tie-key order. */
function markFirst(prefixes: Float64Array, count: number, fullKey: (i: number) => Uint8Array, extra: Uint8Array) {
  const sorted = Float64Array.from(prefixes).sort();
  const boundary = sorted[count - 1];
  let below = 0;
  const atBoundary: number[] = [];
  for (let i = 0; i < prefixes.length; i++) {
    if (prefixes[i] < boundary) {
      extra[i] = 1;
      below++;
    } else if (prefixes[i] === boundary) atBoundary.push(i);
  }
  // Members sharing the boundary prefix: their whole keys decide.
  const keys = atBoundary.map((i) => ({ i, key: Buffer.from(fullKey(i)) }));
  keys.sort((a, b) => Buffer.compare(a.key, b.key));
  for (const { i } of keys.slice(0, count - below)) extra[i] = 1;
}

/** A member's whole tie key (for ties at the boundary, and for tests). */
export function tieKey(keccak: BulkKeccak, period: bigint, memberHash: Uint8Array): Uint8Array {
  return keccak.hash(tiePreimage(period, memberHash));
}

/**
 * A period's charges, end to end and streaming: the eligible members' hashes arrive in chunks and are
 * written as the manifest's member chunks (32-byte hashes, in eligible-set order) while their
 * tie-order keys are computed; the bill is apportioned; the leaves are hashed from the chunks again
 * into a leaf file and the tree is built above it. Memory holds 9 bytes per member (a tie-key prefix
 * and a mark), never the members as objects. The recount re-derives everything from the manifest
 * with O(log n) tree nodes in memory.
 */
import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { amountOf, apportion, tieKey, tieKeyPrefixes, type Apportionment, type Bill } from "./apportion";
import { CHARGE_LEAF_ENCODING, ChargeLeafHasher, ChargeTreeFile, StreamingRoot } from "./chargeTree";
import type { BulkKeccak } from "./hasher";

const WORD = 32;
/** Members per manifest chunk: 32 MiB of hashes, one IPFS file each. */
export const CHUNK_MEMBERS = 1 << 20;

export interface ChargeManifest {
  version: 1;
  type: "aidproof/charges";
  period: string;
  memberCount: number;
  total: string;
  cap: string | null;
  charged: string;
  carry: string;
  base: string;
  leafEncoding: string[];
  root: string;
  /** The member chunks in order: each 32-byte member hashes, concatenated; `cid` once stored in IPFS. */
  chunks: { file: string; members: number; sha256: string; cid?: string }[];
  /** How many membership batches (the first ones on chain) the eligible set was derived from. */
  membershipBatches?: number;
}

export interface BuiltCharges {
  manifest: ChargeManifest;
  apportionment: Apportionment;
  /** Undefined for a period without members. */
  tree: ChargeTreeFile | undefined;
}

/** The root anchored for a period without members: there is no tree. */
export const EMPTY_ROOT = `0x${"00".repeat(32)}`;

/** Builds a period's charges into `dir` (manifest.json, member chunks, tree levels). */
export async function buildPeriodCharges(
  keccak: BulkKeccak,
  bill: Bill,
  members: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  dir: string,
  options: { expectedMembers?: number; chunkMembers?: number; membershipBatches?: number } = {},
): Promise<BuiltCharges> {
  mkdirSync(dir, { recursive: true });
  let prefixes = new Float64Array(Math.max(options.expectedMembers ?? 0, 1024));
  let count = 0;
  const chunks: ChargeManifest["chunks"] = [];
  const writer = new ChunkWriter(dir, chunks, options.chunkMembers ?? CHUNK_MEMBERS);
  const order = new AscendingCheck();
  for await (const hashes of members) {
    if (hashes.length % WORD !== 0) throw new RangeError("member hashes come in 32-byte words");
    const n = hashes.length / WORD;
    const broken = order.check(hashes);
    if (broken !== undefined)
      throw new RangeError(`member hashes must be strictly ascending (the eligible set's order): ${broken}`);
    if (count + n > prefixes.length) {
      const grown = new Float64Array(Math.max(2 * prefixes.length, count + n));
      grown.set(prefixes);
      prefixes = grown;
    }
    tieKeyPrefixes(keccak, bill.period, hashes, prefixes, count);
    writer.write(hashes);
    count += n;
  }
  writer.close();
  prefixes = prefixes.subarray(0, count);

  const reader = new MemberReader(dir, chunks);
  const apportionment = apportion(bill, prefixes, (i) => tieKey(keccak, bill.period, reader.member(i)));
  const leafPath = join(dir, "leaves.bin");
  const leaves = openSync(leafPath, "w+");
  const hasher = new ChargeLeafHasher(keccak, bill.period);
  const out = Buffer.alloc(Math.max(...chunks.map((c) => c.members), 0) * WORD);
  let index = 0;
  for (const chunk of reader.chunks()) {
    const n = chunk.length / WORD;
    for (let i = 0; i < n; i++)
      hasher.hashInto(chunk.subarray(i * WORD, (i + 1) * WORD), amountOf(apportionment, index + i), out, i * WORD);
    writeSync(leaves, out, 0, n * WORD, index * WORD);
    index += n;
  }
  closeSync(leaves);
  reader.close();
  const tree = count === 0 ? undefined : ChargeTreeFile.build(keccak, leafPath, count);
  const manifest: ChargeManifest = {
    version: 1,
    type: "aidproof/charges",
    period: bill.period.toString(),
    memberCount: count,
    total: bill.total.toString(),
    cap: bill.cap === undefined ? null : bill.cap.toString(),
    charged: apportionment.charged.toString(),
    carry: apportionment.carry.toString(),
    base: apportionment.base.toString(),
    leafEncoding: [...CHARGE_LEAF_ENCODING],
    root: tree?.root ?? EMPTY_ROOT,
    chunks,
    membershipBatches: options.membershipBatches,
  };
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return { manifest, apportionment, tree };
}

export interface RecountProgress {
  members: number;
  of: number;
}

export interface Recount {
  ok: boolean;
  problems: string[];
  root: string | undefined;
  memberCount: number;
  charged: bigint;
}

/**
 * Recounts a period from its manifest alone: chunk hashes, member count, no member twice, the
 * apportionment of the stated bill, the sum of the shares, and the root. A caller compares the
 * manifest's bill, count and root with what is anchored on chain.
 */
export function recountCharges(
  keccak: BulkKeccak,
  dir: string,
  onProgress: (p: RecountProgress) => void = () => undefined,
): Recount {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ChargeManifest;
  const problems: string[] = [];
  const period = BigInt(manifest.period);
  const reader = new MemberReader(dir, manifest.chunks);
  const count = manifest.chunks.reduce((sum, c) => sum + c.members, 0);
  const prefixes = new Float64Array(count);
  const order = new AscendingCheck();
  let index = 0;
  let c = 0;
  for (const chunk of reader.chunks()) {
    if (createHash("sha256").update(chunk).digest("hex") !== manifest.chunks[c].sha256)
      problems.push(`chunk ${manifest.chunks[c].file} is not the one listed`);
    const broken = order.check(chunk);
    if (broken !== undefined && order.failures === 1) problems.push(broken);
    tieKeyPrefixes(keccak, period, chunk, prefixes, index);
    index += chunk.length / WORD;
    c++;
    onProgress({ members: index, of: count });
  }
  if (count !== manifest.memberCount) problems.push(`${count} members in the chunks, ${manifest.memberCount} stated`);

  const bill: Bill = {
    period,
    total: BigInt(manifest.total),
    cap: manifest.cap === null ? undefined : BigInt(manifest.cap),
  };
  const apportionment = apportion(bill, prefixes, (i) => tieKey(keccak, period, reader.member(i)));
  if (apportionment.charged.toString() !== manifest.charged) problems.push("the shares do not sum to what is stated");
  if (apportionment.carry.toString() !== manifest.carry) problems.push("the carry is not what is stated");
  const hasher = new ChargeLeafHasher(keccak, period);
  const root = new StreamingRoot(keccak);
  const leaf = new Uint8Array(WORD);
  let sum = 0n;
  index = 0;
  for (const chunk of reader.chunks()) {
    for (let i = 0; i < chunk.length / WORD; i++, index++) {
      const amount = amountOf(apportionment, index);
      sum += amount;
      hasher.hashInto(chunk.subarray(i * WORD, (i + 1) * WORD), amount, leaf, 0);
      root.push(leaf);
    }
  }
  reader.close();
  if (sum !== apportionment.charged) problems.push("the shares do not sum to the charge");
  const computed = root.root();
  const rootHex = computed ? `0x${Buffer.from(computed).toString("hex")}` : EMPTY_ROOT;
  if (rootHex !== manifest.root) problems.push(`the tree's root is ${rootHex}, the manifest says ${manifest.root}`);
  return { ok: problems.length === 0, problems, root: rootHex, memberCount: count, charged: sum };
}

/**
 * Checks member hashes arrive strictly ascending (the eligible set's canonical order, in which a
 * member listed twice is two equal neighbours); says how the first break in each call breaks it.
 */
class AscendingCheck {
  private _last: Buffer | undefined;
  failures = 0;

  check(hashes: Uint8Array): string | undefined {
    let problem: string | undefined;
    let previous = this._last;
    for (let at = 0; at < hashes.length; at += WORD) {
      const hash = Buffer.from(hashes.buffer, hashes.byteOffset + at, WORD);
      const order = previous === undefined ? 1 : Buffer.compare(hash, previous);
      if (order <= 0 && problem === undefined) {
        this.failures++;
        const hex = `0x${hash.toString("hex")}`;
        problem = order === 0 ? `member ${hex} is listed twice` : `member ${hex} is out of ascending order`;
      }
      previous = hash;
    }
    // A copy: the caller may reuse its buffer.
    if (previous !== undefined) this._last = Buffer.from(previous);
    return problem;
  }
}

class ChunkWriter {
  private _fd: number | undefined;
  private _hash = createHash("sha256");
  private _members = 0;

  constructor(
    private readonly _dir: string,
    private readonly _chunks: ChargeManifest["chunks"],
    private readonly _chunkMembers: number,
  ) {}

  write(hashes: Uint8Array): void {
    for (let at = 0; at < hashes.length;) {
      if (this._fd === undefined) this._fd = openSync(join(this._dir, this._name()), "w");
      const room = (this._chunkMembers - this._members) * WORD;
      const part = hashes.subarray(at, at + room);
      writeSync(this._fd, part);
      this._hash.update(part);
      this._members += part.length / WORD;
      at += part.length;
      if (this._members === this._chunkMembers) this._seal();
    }
  }

  close(): void {
    if (this._fd !== undefined) this._seal();
  }

  private _name(): string {
    return `members-${String(this._chunks.length).padStart(5, "0")}.bin`;
  }

  private _seal(): void {
    closeSync(this._fd!);
    this._chunks.push({ file: this._name(), members: this._members, sha256: this._hash.digest("hex") });
    this._fd = undefined;
    this._hash = createHash("sha256");
    this._members = 0;
  }
}

/** Reads a period's member chunks: in order, or one member by index or by hash (binary search). */
export class MemberReader {
  private readonly _fds: number[];
  /** Index of each chunk's first member. */
  private readonly _starts: number[];

  constructor(
    dir: string,
    private readonly _chunks: ChargeManifest["chunks"],
  ) {
    this._fds = _chunks.map((c) => openSync(join(dir, c.file), "r"));
    let start = 0;
    this._starts = _chunks.map((c) => ((start += c.members), start - c.members));
  }

  *chunks(): Generator<Buffer> {
    for (const [c, chunk] of this._chunks.entries()) {
      const bytes = Buffer.alloc(chunk.members * WORD);
      readSync(this._fds[c], bytes, 0, bytes.length, 0);
      yield bytes;
    }
  }

  member(index: number): Uint8Array {
    let c = this._starts.length - 1;
    while (c > 0 && this._starts[c] > index) c--;
    const bytes = Buffer.alloc(WORD);
    readSync(this._fds[c], bytes, 0, WORD, (index - this._starts[c]) * WORD);
    return bytes;
  }

  /** The index of `memberHash` in the (ascending) eligible set, or -1. */
  indexOf(memberHash: Uint8Array): number {
    let low = 0;
    let high = this._starts.length === 0 ? 0 : this._starts[this._starts.length - 1] + this._chunks.at(-1)!.members;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = Buffer.compare(Buffer.from(this.member(middle)), Buffer.from(memberHash));
      if (order === 0) return middle;
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    return -1;
  }

  close(): void {
    for (const fd of this._fds) closeSync(fd);
  }
}

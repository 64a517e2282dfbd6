/**
 * The charge tree of a period: leaves `(uint256 period, bytes32 memberHash, uint256 amount)` hashed
 * as StandardMerkleTree hashes them (keccak256 of keccak256 of the ABI encoding), in eligible-set
 * order, and pairs hashed sorted, so `StandardMerkleTree.verify` of @openzeppelin/merkle-tree and
 * `MerkleProof` accept its proofs. Levels are built left to right and an odd last node moves up
 * unhashed; the root is also computed streaming, with a stack of one node per level, which gives the
 * same tree (the verifier's recount holds O(log n) nodes).
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { BulkKeccak } from "./hasher";
import { uintBytes } from "./apportion";
import { CHARGE_LEAF_ENCODING } from "../verify/charges";

export { CHARGE_LEAF_ENCODING };

const WORD = 32;

/** Writes the charge leaf hash of `(period, memberHash, amount)` into `out` at `offset`. */
export class ChargeLeafHasher {
  private readonly _preimage = new Uint8Array(3 * WORD);
  private readonly _inner = new Uint8Array(WORD);
  /** Encoded amounts: a period has two (base and base + 1), so each is encoded once. */
  private readonly _amounts = new Map<bigint, Uint8Array>();

  constructor(
    private readonly _keccak: BulkKeccak,
    period: bigint,
  ) {
    this._preimage.set(uintBytes(period), 0);
  }

  hashInto(memberHash: Uint8Array, amount: bigint, out: Uint8Array, offset: number): void {
    this._preimage.set(memberHash, WORD);
    let encoded = this._amounts.get(amount);
    if (!encoded) {
      encoded = uintBytes(amount);
      if (this._amounts.size < 16) this._amounts.set(amount, encoded);
    }
    this._preimage.set(encoded, 2 * WORD);
    this._keccak.hashInto(this._preimage, this._inner, 0);
    this._keccak.hashInto(this._inner, out, offset);
  }
}

/** keccak256 of the two 32-byte nodes, smaller first, into `out` at `offset`. */
function hashPair(
  keccak: BulkKeccak,
  a: Uint8Array,
  b: Uint8Array,
  out: Uint8Array,
  offset: number,
  scratch: Uint8Array,
) {
  const [first, second] = Buffer.compare(a, b) <= 0 ? [a, b] : [b, a];
  scratch.set(first, 0);
  scratch.set(second, WORD);
  keccak.hashInto(scratch, out, offset);
}

/** The root of leaves fed in order, with one node per level held: for recounts. */
export class StreamingRoot {
  private readonly _stack: { level: number; node: Uint8Array }[] = [];
  private readonly _scratch = new Uint8Array(2 * WORD);
  count = 0;

  constructor(private readonly _keccak: BulkKeccak) {}

  push(leaf: Uint8Array): void {
    this.count++;
    let node = Uint8Array.from(leaf);
    let level = 0;
    while (this._stack.length > 0 && this._stack[this._stack.length - 1].level === level) {
      const left = this._stack.pop()!.node;
      const parent = new Uint8Array(WORD);
      hashPair(this._keccak, left, node, parent, 0, this._scratch);
      node = parent;
      level++;
    }
    this._stack.push({ level, node });
  }

  /** The root (undefined for no leaves): the remaining peaks folded from the right. */
  root(): Uint8Array | undefined {
    if (this._stack.length === 0) return undefined;
    let node = this._stack[this._stack.length - 1].node;
    for (let i = this._stack.length - 2; i >= 0; i--) {
      const parent = new Uint8Array(WORD);
      hashPair(this._keccak, this._stack[i].node, node, parent, 0, this._scratch);
      node = parent;
    }
    return node;
  }
}

const CHUNK_NODES = 1 << 16;

/**
 * The whole tree on disk, one file of 32-byte nodes per level, for serving proofs: a proof reads one
 * node per level. Built from the leaf level, which the caller writes with {@link ChargeTreeFile.writeLeaves}.
 */
export class ChargeTreeFile {
  private constructor(
    private readonly _fds: number[],
    private readonly _sizes: number[],
  ) {}

  /** Builds the levels above the leaf file `leafPath` of `count` leaves; levels go beside it. */
  static build(keccak: BulkKeccak, leafPath: string, count: number): ChargeTreeFile {
    if (count === 0) throw new RangeError("a charge tree needs a member");
    const fds = [openSync(leafPath, "r")];
    const sizes = [count];
    const scratch = new Uint8Array(2 * WORD);
    while (sizes[sizes.length - 1] > 1) {
      const below = fds[fds.length - 1];
      const size = sizes[sizes.length - 1];
      const path = `${leafPath}.level${fds.length}`;
      const out = openSync(path, "w+");
      const input = Buffer.alloc(CHUNK_NODES * 2 * WORD);
      const output = Buffer.alloc(CHUNK_NODES * WORD);
      let written = 0;
      for (let start = 0; start < size; start += 2 * CHUNK_NODES) {
        const nodes = Math.min(2 * CHUNK_NODES, size - start);
        readSync(below, input, 0, nodes * WORD, start * WORD);
        let o = 0;
        for (let i = 0; i + 1 < nodes; i += 2, o++)
          hashPair(
            keccak,
            input.subarray(i * WORD, (i + 1) * WORD),
            input.subarray((i + 1) * WORD, (i + 2) * WORD),
            output,
            o * WORD,
            scratch,
          );
        if (nodes % 2 === 1) output.set(input.subarray((nodes - 1) * WORD, nodes * WORD), o++ * WORD); // odd: moves up
        writeSync(out, output, 0, o * WORD, written * WORD);
        written += o;
      }
      fds.push(out);
      sizes.push(written);
    }
    return new ChargeTreeFile(fds, sizes);
  }

  /** Opens a tree {@link ChargeTreeFile.build} wrote beside `leafPath` for `count` leaves. */
  static open(leafPath: string, count: number): ChargeTreeFile {
    const sizes = [count];
    while (sizes[sizes.length - 1] > 1) sizes.push(Math.ceil(sizes[sizes.length - 1] / 2));
    const fds = sizes.map((_, level) => openSync(level === 0 ? leafPath : `${leafPath}.level${level}`, "r"));
    return new ChargeTreeFile(fds, sizes);
  }

  get root(): string {
    return `0x${Buffer.from(this._node(this._fds.length - 1, 0)).toString("hex")}`;
  }

  /** The proof of leaf `index`: one sibling per level, where the level has one. */
  proof(index: number): string[] {
    if (index < 0 || index >= this._sizes[0]) throw new RangeError(`no member at ${index}`);
    const proof: string[] = [];
    for (let level = 0, i = index; level < this._fds.length - 1; level++, i >>= 1) {
      const sibling = i ^ 1;
      if (sibling < this._sizes[level]) proof.push(`0x${Buffer.from(this._node(level, sibling)).toString("hex")}`);
    }
    return proof;
  }

  leaf(index: number): string {
    return `0x${Buffer.from(this._node(0, index)).toString("hex")}`;
  }

  close(): void {
    for (const fd of this._fds) closeSync(fd);
  }

  private _node(level: number, index: number): Buffer {
    const node = Buffer.alloc(WORD);
    readSync(this._fds[level], node, 0, WORD, index * WORD);
    return node;
  }
}

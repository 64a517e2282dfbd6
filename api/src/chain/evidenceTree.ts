import { addressWord, bytes32Word, keccak256 } from "./encoding";

/**
 * OpenZeppelin's Merkle tree (@openzeppelin/merkle-tree's SimpleMerkleTree with sorted leaves) over
 * leaf hashes, with libkeccak: the same array layout, root and proofs, so OpenZeppelin's verify and
 * MerkleProof accept them. OpenZeppelin's tree ABI-encodes and validates every node in JavaScript,
 * which cost the gateway 1 ms of its event loop per batch of 1,000 and the same again per receipt.
 * Tests hold it equal to SimpleMerkleTree and StandardMerkleTree.
 */
export class EvidenceTree {
  private constructor(
    /** Nodes as OpenZeppelin lays them out: root first, sorted leaves last in reverse order. */
    private readonly _nodes: Buffer[],
    /** For each leaf, in the order given, its index in `_nodes`. */
    private readonly _nodeIndex: number[],
  ) {}

  /** The tree over `leafHashes` (0x-hex, 32 bytes each), in the order given. */
  static of(leafHashes: string[]): EvidenceTree {
    if (leafHashes.length === 0) throw new RangeError("a tree needs at least one leaf");
    const leaves = leafHashes.map((hash, position) => ({ hash: bytes32Word(hash, "a leaf hash"), position }));
    leaves.sort((a, b) => Buffer.compare(a.hash, b.hash));
    const nodes = new Array<Buffer>(2 * leaves.length - 1);
    const nodeIndex = new Array<number>(leaves.length);
    leaves.forEach((leaf, sorted) => {
      nodes[nodes.length - 1 - sorted] = leaf.hash;
      nodeIndex[leaf.position] = nodes.length - 1 - sorted;
    });
    for (let i = nodes.length - 1 - leaves.length; i >= 0; i--) {
      const [a, b] = [nodes[2 * i + 1], nodes[2 * i + 2]];
      nodes[i] = keccak256(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]));
    }
    return new EvidenceTree(nodes, nodeIndex);
  }

  get root(): string {
    return hex(this._nodes[0]);
  }

  get length(): number {
    return this._nodeIndex.length;
  }

  /** The hash of the leaf given at `index`. */
  leafHash(index: number): string {
    return hex(this._nodes[this._node(index)]);
  }

  /** The proof of the leaf given at `index`: sibling hashes from the leaf up. */
  getProof(index: number): string[] {
    let node = this._node(index);
    const proof: string[] = [];
    while (node > 0) {
      proof.push(hex(this._nodes[node % 2 === 1 ? node + 1 : node - 1]));
      node = Math.floor((node - 1) / 2);
    }
    return proof;
  }

  private _node(index: number): number {
    const node = this._nodeIndex[index];
    if (node === undefined) throw new RangeError(`no leaf ${index}`);
    return node;
  }
}

function hex(bytes: Buffer): string {
  return `0x${bytes.toString("hex")}`;
}

/** Domain tag of a batch header: keccak256("AidProof.BatchHeader.v1"), as EvidenceRegistry has it. */
export const BATCH_HEADER_TAG = keccak256(Buffer.from("AidProof.BatchHeader.v1", "utf8"));

/**
 * `keccak256(abi.encode(BATCH_HEADER_TAG, gateway, salt))`: binds an anchored root to the gateway
 * that anchored it. Three words, so it can be neither an inner node (two words) nor a leaf (hashed
 * twice).
 */
export function batchHeader(gateway: string, salt: string): string {
  return hex(keccak256(Buffer.concat([BATCH_HEADER_TAG, addressWord(gateway, "gateway"), bytes32Word(salt, "salt")])));
}

/**
 * The root EvidenceRegistry stores for a batch: the leaves' root paired with the batch header, so
 * another gateway anchoring the same leaves gets another root. Proofs against it are the leaves'
 * proofs with the header appended as the last sibling.
 */
export function batchRoot(gateway: string, leavesRoot: string, salt: string): string {
  const [a, b] = [bytes32Word(leavesRoot, "leaves root"), bytes32Word(batchHeader(gateway, salt), "header")];
  return hex(keccak256(Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a])));
}

import { WORD, addressWord, bytes32Word, keccak256, uintWord } from "./encoding";
import { EvidenceTree } from "./evidenceTree";

export { EVIDENCE_LEAF_ENCODING } from "./leafEncoding";

export const EvidenceKind = { Public: 0, Private: 1 } as const;
export type EvidenceKind = (typeof EvidenceKind)[keyof typeof EvidenceKind];

export interface EvidenceLeaf {
  claimId: bigint;
  claimant: string;
  /** SHA-256 of the stored bytes (the ciphertext envelope for private evidence), 0x-hex. */
  contentHash: string;
  kind: EvidenceKind;
  cid: string;
}

export type EvidenceLeafValues = [bigint, string, string, number, string];

export function evidenceLeafValues(leaf: EvidenceLeaf): EvidenceLeafValues {
  return [leaf.claimId, leaf.claimant, leaf.contentHash, leaf.kind, leaf.cid];
}

const HEAD_WORDS = 5;

/**
 * `keccak256(bytes.concat(keccak256(abi.encode(claimId, claimant, contentHash, kind, cid))))`, the
 * StandardMerkleTree leaf hash, with the fixed ABI layout written out and libkeccak hashing: about
 * 20 times faster than the generic encoder, which made a 1,000-leaf batch cost 300 ms of the event
 * loop. Tests hold it equal to StandardMerkleTree.leafHash and to the contract.
 */
export function evidenceLeafHash(leaf: EvidenceLeaf): string {
  const cid = Buffer.from(leaf.cid, "utf8");
  const paddedCid = Buffer.concat([cid, Buffer.alloc((WORD - (cid.length % WORD)) % WORD)]);
  const encoded = Buffer.concat([
    uintWord(leaf.claimId, "claimId"),
    addressWord(leaf.claimant, "claimant"),
    bytes32Word(leaf.contentHash, "contentHash"),
    uintWord(leaf.kind, "kind", 8),
    uintWord(HEAD_WORDS * WORD, "cid offset"),
    uintWord(cid.length, "cid length"),
    paddedCid,
  ]);
  return `0x${keccak256(keccak256(encoded)).toString("hex")}`;
}

/**
 * The batch tree: OpenZeppelin's tree over the StandardMerkleTree leaf hashes. A tree of those
 * hashes has the same root and the same proofs as StandardMerkleTree.of(values) (both sort the leaf
 * hashes and hash pairs the same way), so @openzeppelin/merkle-tree and MerkleProof verify it.
 */
export function buildEvidenceTree(leaves: EvidenceLeaf[]): EvidenceTree {
  return EvidenceTree.of(leaves.map(evidenceLeafHash));
}

import { StandardMerkleTree } from "@openzeppelin/merkle-tree";

/** StandardMerkleTree leaf encoding of an evidence item; the same as EvidenceRegistry.evidenceLeafHash. */
export const EVIDENCE_LEAF_ENCODING = ["uint256", "address", "bytes32", "uint8", "string"] as const;

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

export function buildEvidenceTree(leaves: EvidenceLeaf[]): StandardMerkleTree<EvidenceLeafValues> {
  return StandardMerkleTree.of(leaves.map(evidenceLeafValues), [...EVIDENCE_LEAF_ENCODING]);
}

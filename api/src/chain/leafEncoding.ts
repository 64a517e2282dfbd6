/**
 * StandardMerkleTree leaf encoding of an evidence item, as EvidenceRegistry.evidenceLeafHash has it.
 * In a module of its own, with no imports: the web verifier bundles it.
 */
export const EVIDENCE_LEAF_ENCODING = ["uint256", "address", "bytes32", "uint8", "string"] as const;

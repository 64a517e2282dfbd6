// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IEvidenceRegistry
 * @notice Batches of claim evidence anchored as one Merkle root each, then attested by validators.
 * Leaves follow OpenZeppelin's StandardMerkleTree encoding of
 * `(uint256 claimId, address claimant, bytes32 contentHash, uint8 kind, string cid)`, so proofs made
 * by the OpenZeppelin merkle-tree library verify here.
 */
interface IEvidenceRegistry {
    /// @notice Pending until M validators attest one way; Confirmed or Rejected is final.
    enum BatchStatus {
        None,
        Pending,
        Confirmed,
        Rejected
    }

    /// @notice An anchored batch. `manifestCidHash` is keccak256 of the manifest CID string, which is
    /// in the {BatchAnchored} event; storing the hash keeps an anchor under 100 gas per item at 1,000.
    struct Batch {
        uint40 index;
        uint32 leafCount;
        uint48 anchoredAt;
        uint64 anchoredBlock;
        BatchStatus status;
        bytes32 manifestCidHash;
    }

    /// @notice One evidence item: the SHA-256 of the uploaded bytes (ciphertext envelope when private).
    /// `kind` is 0 for public and 1 for private (encrypted) evidence.
    struct EvidenceLeaf {
        uint256 claimId;
        address claimant;
        bytes32 contentHash;
        uint8 kind;
        string cid;
    }

    /// @notice Emitted when a gateway anchored a batch.
    event BatchAnchored(
        bytes32 indexed root,
        uint256 indexed index,
        address indexed gateway,
        uint256 leafCount,
        string manifestCid
    );
    /// @notice Emitted when a validator attested a batch valid or invalid.
    event BatchAttested(bytes32 indexed root, address indexed validator, bool valid);
    /// @notice Emitted when M validators attested a batch valid.
    event BatchConfirmed(bytes32 indexed root, uint256 attestations);
    /// @notice Emitted when M validators attested a batch invalid.
    event BatchRejected(bytes32 indexed root, uint256 attestations);

    /// @notice This root was anchored before.
    error EvidenceRegistryBatchAlreadyAnchored(bytes32 root);
    /// @notice A batch needs a non-zero root, at least one leaf and a manifest CID.
    error EvidenceRegistryInvalidBatch(bytes32 root, uint256 leafCount, string manifestCid);
    /// @notice No batch with this root was anchored.
    error EvidenceRegistryUnknownBatch(bytes32 root);
    /// @notice `validator` attested this batch already.
    error EvidenceRegistryAlreadyAttested(bytes32 root, address validator);

    /// @notice Anchors a batch in one transaction. GATEWAY only.
    /// @return index The batch's sequence number, counting from 0.
    function anchorBatch(bytes32 root, uint32 leafCount, string calldata manifestCid) external returns (uint256 index);

    /// @notice Records the caller's verdict on a batch after re-deriving it from IPFS. VALIDATOR only, once.
    /// The status becomes final at M attestations of one kind from current validators; later
    /// attestations are still recorded, so dissent stays visible.
    function attestBatch(bytes32 root, bool valid) external;

    /// @notice The batch anchored with `root`; reverts with {EvidenceRegistryUnknownBatch} otherwise.
    function batch(bytes32 root) external view returns (Batch memory);

    /// @notice Number of batches anchored so far.
    function batchCount() external view returns (uint256);

    /// @notice Validators that attested `root` valid and invalid.
    function attestations(bytes32 root) external view returns (address[] memory valid, address[] memory invalid);

    /// @notice Whether `leaf` with `proof` is in the anchored batch `root`.
    function verifyEvidence(
        bytes32 root,
        bytes32[] calldata proof,
        EvidenceLeaf calldata leaf
    ) external view returns (bool);

    /// @notice The StandardMerkleTree leaf hash of `leaf`.
    function evidenceLeafHash(EvidenceLeaf calldata leaf) external pure returns (bytes32);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IEvidenceRegistry
 * @notice Batches of claim evidence anchored as one Merkle root each, then attested by validators.
 * Leaves follow OpenZeppelin's StandardMerkleTree encoding of
 * `(uint256 claimId, address claimant, bytes32 contentHash, uint8 kind, string cid)`, so proofs made
 * by the OpenZeppelin merkle-tree library verify here.
 *
 * The root a batch is stored under binds the gateway that anchored it: it is the leaves' root paired
 * (as a Merkle node) with a batch header `keccak256(abi.encode(BATCH_HEADER_TAG, gateway, salt))`,
 * so an item's proof is its path in the leaves' tree followed by the header, and another gateway
 * anchoring the same leaves gets another root: it cannot take a batch's root before its own gateway.
 *
 * Validators attest a verdict: valid, with the hashes of the leaves that broke a rule (often none),
 * or invalid as a whole. M matching verdicts decide; the leaves a confirming verdict names are
 * excluded, so one bad item costs only itself.
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

    /// @notice One validator's verdict on a batch, under the admission it was given in.
    struct Attestation {
        bytes32 verdictHash;
        uint64 admission;
        bool valid;
    }

    /// @notice Emitted when a gateway anchored a batch.
    event BatchAnchored(
        bytes32 indexed root,
        uint256 indexed index,
        address indexed gateway,
        bytes32 leavesRoot,
        bytes32 salt,
        uint256 leafCount,
        string manifestCid
    );
    /// @notice Emitted when a validator attested a batch: valid except `invalidLeaves`, or invalid whole.
    event BatchAttested(
        bytes32 indexed root,
        address indexed validator,
        bool valid,
        bytes32 verdictHash,
        bytes32[] invalidLeaves
    );
    /// @notice Emitted when M validators attested a batch valid with the same `invalidLeaves`, now excluded.
    event BatchConfirmed(bytes32 indexed root, uint256 attestations, bytes32[] invalidLeaves);
    /// @notice Emitted when M validators attested a batch invalid.
    event BatchRejected(bytes32 indexed root, uint256 attestations);

    /// @notice This root was anchored before.
    error EvidenceRegistryBatchAlreadyAnchored(bytes32 root);
    /// @notice A batch needs a non-zero root, at least one leaf and a manifest CID.
    error EvidenceRegistryInvalidBatch(bytes32 root, uint256 leafCount, string manifestCid);
    /// @notice No batch with this root was anchored.
    error EvidenceRegistryUnknownBatch(bytes32 root);
    /// @notice `validator` attested this batch already under its current admission.
    error EvidenceRegistryAlreadyAttested(bytes32 root, address validator);
    /// @notice A verdict's invalid leaves must be strictly ascending, at most the leaf count, and none
    /// when the batch is invalid as a whole.
    error EvidenceRegistryInvalidVerdict(bytes32 root, bool valid, uint256 invalidLeafCount);
    /// @notice Fewer than M current validators gave this verdict.
    error EvidenceRegistryQuorumNotReached(bytes32 root, bytes32 verdictHash, uint256 attestations, uint256 threshold);
    /// @notice The batch is no longer pending.
    error EvidenceRegistryBatchDecided(bytes32 root, BatchStatus status);

    /// @notice Anchors a batch in one transaction, under the root its leaves' root and the caller's
    /// batch header give. GATEWAY only.
    /// @return root The root the batch is stored under, {batchRoot}(msg.sender, leavesRoot, salt).
    /// @return index The batch's sequence number, counting from 0.
    function anchorBatch(
        bytes32 leavesRoot,
        bytes32 salt,
        uint32 leafCount,
        string calldata manifestCid
    ) external returns (bytes32 root, uint256 index);

    /// @notice Records the caller's verdict on a batch after re-deriving it from IPFS. VALIDATOR only,
    /// once per admission. `valid` with the hashes of the leaves that broke a rule (strictly ascending;
    /// empty when all hold), or not `valid` (and no leaves) when the batch cannot stand as a whole.
    /// The status becomes final at M matching verdicts from current validators; later attestations
    /// are still recorded, so dissent stays visible.
    function attestBatch(bytes32 root, bool valid, bytes32[] calldata invalidLeaves) external;

    /// @notice Applies a verdict that M current validators gave but that did not decide the batch when
    /// given (the threshold was lowered later). Anyone may call it.
    function finalizeBatch(bytes32 root, bool valid, bytes32[] calldata invalidLeaves) external;

    /// @notice The batch anchored with `root`; reverts with {EvidenceRegistryUnknownBatch} otherwise.
    function batch(bytes32 root) external view returns (Batch memory);

    /// @notice Number of batches anchored so far.
    function batchCount() external view returns (uint256);

    /// @notice Validators that attested `root` valid and invalid.
    function attestations(bytes32 root) external view returns (address[] memory valid, address[] memory invalid);

    /// @notice `validator`'s attestation of `root` (a zero admission when it has none).
    function attestationOf(bytes32 root, address validator) external view returns (Attestation memory);

    /// @notice Whether the confirming verdict of `root` excluded the leaf `leafHash`.
    function isExcluded(bytes32 root, bytes32 leafHash) external view returns (bool);

    /// @notice The batch header that binds a root to `gateway`.
    function batchHeader(address gateway, bytes32 salt) external pure returns (bytes32);

    /// @notice The root a batch of leaves `leavesRoot` anchored by `gateway` with `salt` is stored under.
    function batchRoot(address gateway, bytes32 leavesRoot, bytes32 salt) external pure returns (bytes32);

    /// @notice Whether `leaf` with `proof` is in the anchored batch `root`, that batch is not
    /// Rejected, and the leaf was not excluded.
    function verifyEvidence(
        bytes32 root,
        bytes32[] calldata proof,
        EvidenceLeaf calldata leaf
    ) external view returns (bool);

    /// @notice The StandardMerkleTree leaf hash of `leaf`.
    function evidenceLeafHash(EvidenceLeaf calldata leaf) external pure returns (bytes32);
}

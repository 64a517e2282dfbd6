// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IEvidenceRegistry} from "./interfaces/IEvidenceRegistry.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title EvidenceRegistry
 * @notice One storage write pair per batch whatever its size: the root keys the batch, so the
 * duplicate-root check costs nothing extra.
 */
contract EvidenceRegistry is IEvidenceRegistry, ConsortiumGated {
    /// @dev Domain tag of batch headers; three words hashed, so a header is neither a node nor a leaf.
    bytes32 public constant BATCH_HEADER_TAG = keccak256("AidProof.BatchHeader.v1");

    uint40 private _batchCount;
    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 root => address[]) private _attesters;
    mapping(bytes32 root => mapping(address validator => Attestation)) private _attestations;
    mapping(bytes32 root => mapping(bytes32 leafHash => bool)) private _excluded;

    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(
        bytes32 leavesRoot,
        bytes32 salt,
        uint32 leafCount,
        string calldata manifestCid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) returns (bytes32 root, uint256 index) {
        if (leavesRoot == bytes32(0) || leafCount == 0 || bytes(manifestCid).length == 0) {
            revert EvidenceRegistryInvalidBatch(leavesRoot, leafCount, manifestCid);
        }
        root = batchRoot(msg.sender, leavesRoot, salt);
        Batch storage b = _batches[root];
        if (b.status != BatchStatus.None) revert EvidenceRegistryBatchAlreadyAnchored(root);
        index = _batchCount++;
        b.index = uint40(index);
        b.leafCount = leafCount;
        b.anchoredAt = uint48(block.timestamp);
        b.anchoredBlock = uint64(block.number);
        b.status = BatchStatus.Pending;
        b.manifestCidHash = keccak256(bytes(manifestCid));
        emit BatchAnchored(root, index, msg.sender, leavesRoot, salt, leafCount, manifestCid);
    }

    /// @inheritdoc IEvidenceRegistry
    function attestBatch(
        bytes32 root,
        bool valid,
        bytes32[] calldata invalidLeaves
    ) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Batch storage b = _requireBatch(root);
        bytes32 verdictHash = _verdictHash(root, b, valid, invalidLeaves);
        uint64 admission = _admissionOf(msg.sender);
        Attestation storage previous = _attestations[root][msg.sender];
        if (previous.admission == admission) revert EvidenceRegistryAlreadyAttested(root, msg.sender);
        if (previous.admission == 0) _attesters[root].push(msg.sender);
        _attestations[root][msg.sender] = Attestation({verdictHash: verdictHash, admission: admission, valid: valid});
        emit BatchAttested(root, msg.sender, valid, verdictHash, invalidLeaves);

        if (b.status != BatchStatus.Pending) return;
        uint256 count = _countVerdict(root, verdictHash);
        if (count >= _threshold()) _decide(root, b, valid, invalidLeaves, count);
    }

    /// @inheritdoc IEvidenceRegistry
    function finalizeBatch(bytes32 root, bool valid, bytes32[] calldata invalidLeaves) external whenConsortiumActive {
        Batch storage b = _requireBatch(root);
        if (b.status != BatchStatus.Pending) revert EvidenceRegistryBatchDecided(root, b.status);
        bytes32 verdictHash = _verdictHash(root, b, valid, invalidLeaves);
        uint256 count = _countVerdict(root, verdictHash);
        uint256 threshold = _threshold();
        if (count < threshold) revert EvidenceRegistryQuorumNotReached(root, verdictHash, count, threshold);
        _decide(root, b, valid, invalidLeaves, count);
    }

    /// @inheritdoc IEvidenceRegistry
    function batch(bytes32 root) external view returns (Batch memory) {
        return _requireBatch(root);
    }

    /// @inheritdoc IEvidenceRegistry
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @inheritdoc IEvidenceRegistry
    function attestations(bytes32 root) external view returns (address[] memory valid, address[] memory invalid) {
        _requireBatch(root);
        address[] storage attesters = _attesters[root];
        uint256 validCount = 0;
        for (uint256 i = 0; i < attesters.length; ++i) {
            if (_attestations[root][attesters[i]].valid) ++validCount;
        }
        valid = new address[](validCount);
        invalid = new address[](attesters.length - validCount);
        (uint256 v, uint256 n) = (0, 0);
        for (uint256 i = 0; i < attesters.length; ++i) {
            if (_attestations[root][attesters[i]].valid) valid[v++] = attesters[i];
            else invalid[n++] = attesters[i];
        }
    }

    /// @inheritdoc IEvidenceRegistry
    function attestationOf(bytes32 root, address validator) external view returns (Attestation memory) {
        return _attestations[root][validator];
    }

    /// @inheritdoc IEvidenceRegistry
    function isExcluded(bytes32 root, bytes32 leafHash) external view returns (bool) {
        return _excluded[root][leafHash];
    }

    /// @inheritdoc IEvidenceRegistry
    function batchHeader(address gateway, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(BATCH_HEADER_TAG, gateway, salt));
    }

    /// @inheritdoc IEvidenceRegistry
    function batchRoot(address gateway, bytes32 leavesRoot, bytes32 salt) public pure returns (bytes32) {
        return Hashes.commutativeKeccak256(leavesRoot, batchHeader(gateway, salt));
    }

    /// @inheritdoc IEvidenceRegistry
    function verifyEvidence(
        bytes32 root,
        bytes32[] calldata proof,
        EvidenceLeaf calldata leaf
    ) external view returns (bool) {
        BatchStatus status = _batches[root].status;
        if (status == BatchStatus.None || status == BatchStatus.Rejected) return false;
        bytes32 leafHash = evidenceLeafHash(leaf);
        if (_excluded[root][leafHash]) return false;
        return MerkleProof.verifyCalldata(proof, root, leafHash);
    }

    /// @inheritdoc IEvidenceRegistry
    function evidenceLeafHash(EvidenceLeaf calldata leaf) public pure returns (bytes32) {
        // StandardMerkleTree: double keccak of the flat ABI encoding (not of the struct, whose
        // encoding would start with a tuple offset because `cid` is dynamic).
        return
            keccak256(
                bytes.concat(keccak256(abi.encode(leaf.claimId, leaf.claimant, leaf.contentHash, leaf.kind, leaf.cid)))
            );
    }

    function _requireBatch(bytes32 root) private view returns (Batch storage b) {
        b = _batches[root];
        if (b.status == BatchStatus.None) revert EvidenceRegistryUnknownBatch(root);
    }

    /// @dev Checks a verdict's shape and hashes it: only identical verdicts count together.
    function _verdictHash(
        bytes32 root,
        Batch storage b,
        bool valid,
        bytes32[] calldata invalidLeaves
    ) private view returns (bytes32) {
        uint256 n = invalidLeaves.length;
        bool shapeOk = valid ? n <= b.leafCount : n == 0;
        for (uint256 i = 1; shapeOk && i < n; ++i) shapeOk = invalidLeaves[i - 1] < invalidLeaves[i];
        if (!shapeOk) revert EvidenceRegistryInvalidVerdict(root, valid, n);
        return keccak256(abi.encode(valid, invalidLeaves));
    }

    /// @dev Attestations of `verdictHash` given by current validators under their current admission.
    function _countVerdict(bytes32 root, bytes32 verdictHash) private view returns (uint256 count) {
        address[] storage attesters = _attesters[root];
        for (uint256 i = 0; i < attesters.length; ++i) {
            Attestation storage a = _attestations[root][attesters[i]];
            if (a.verdictHash == verdictHash && a.admission == _admissionOf(attesters[i])) ++count;
        }
    }

    function _decide(
        bytes32 root,
        Batch storage b,
        bool valid,
        bytes32[] calldata invalidLeaves,
        uint256 count
    ) private {
        if (!valid) {
            b.status = BatchStatus.Rejected;
            emit BatchRejected(root, count);
            return;
        }
        b.status = BatchStatus.Confirmed;
        for (uint256 i = 0; i < invalidLeaves.length; ++i) _excluded[root][invalidLeaves[i]] = true;
        emit BatchConfirmed(root, count, invalidLeaves);
    }
}

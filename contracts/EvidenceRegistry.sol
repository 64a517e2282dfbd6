// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
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
    uint40 private _batchCount;
    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 root => address[]) private _validAttesters;
    mapping(bytes32 root => address[]) private _invalidAttesters;
    mapping(bytes32 root => mapping(address validator => bool)) private _attested;

    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    /// @inheritdoc IEvidenceRegistry
    function anchorBatch(
        bytes32 root,
        uint32 leafCount,
        string calldata manifestCid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) returns (uint256 index) {
        if (root == bytes32(0) || leafCount == 0 || bytes(manifestCid).length == 0) {
            revert EvidenceRegistryInvalidBatch(root, leafCount, manifestCid);
        }
        Batch storage b = _batches[root];
        if (b.status != BatchStatus.None) revert EvidenceRegistryBatchAlreadyAnchored(root);
        index = _batchCount++;
        b.index = uint40(index);
        b.leafCount = leafCount;
        b.anchoredAt = uint48(block.timestamp);
        b.anchoredBlock = uint64(block.number);
        b.status = BatchStatus.Pending;
        b.manifestCidHash = keccak256(bytes(manifestCid));
        emit BatchAnchored(root, index, msg.sender, leafCount, manifestCid);
    }

    /// @inheritdoc IEvidenceRegistry
    function attestBatch(bytes32 root, bool valid) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Batch storage b = _requireBatch(root);
        if (_attested[root][msg.sender]) revert EvidenceRegistryAlreadyAttested(root, msg.sender);
        _attested[root][msg.sender] = true;
        address[] storage side = valid ? _validAttesters[root] : _invalidAttesters[root];
        side.push(msg.sender);
        emit BatchAttested(root, msg.sender, valid);

        if (b.status != BatchStatus.Pending) return;
        uint256 count = _countCurrentValidators(side);
        if (count < _threshold()) return;
        if (valid) {
            b.status = BatchStatus.Confirmed;
            emit BatchConfirmed(root, count);
        } else {
            b.status = BatchStatus.Rejected;
            emit BatchRejected(root, count);
        }
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
        return (_validAttesters[root], _invalidAttesters[root]);
    }

    /// @inheritdoc IEvidenceRegistry
    function verifyEvidence(
        bytes32 root,
        bytes32[] calldata proof,
        EvidenceLeaf calldata leaf
    ) external view returns (bool) {
        if (_batches[root].status == BatchStatus.None) return false;
        return MerkleProof.verifyCalldata(proof, root, evidenceLeafHash(leaf));
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
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title MembershipRegistry
 * @notice Orders and timestamps the plan's membership changes, batch by batch; the changes stay in IPFS.
 */
contract MembershipRegistry is IMembershipRegistry, ConsortiumGated {
    using Checkpoints for Checkpoints.Trace208;

    struct Batch {
        bytes32 cidHash;
        uint48 recordedAt;
    }

    Batch[] private _batches;
    /// @dev Batches recorded so far, by timestamp.
    Checkpoints.Trace208 private _counts;

    constructor(IConsortium consortium_) ConsortiumGated(consortium_) {}

    /// @inheritdoc IMembershipRegistry
    function recordBatch(
        uint32 joins,
        uint32 leaves,
        string calldata cid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) returns (uint256 index) {
        if ((joins == 0 && leaves == 0) || bytes(cid).length == 0)
            revert MembershipRegistryEmptyBatch(joins, leaves, cid);
        index = _batches.length;
        _batches.push(Batch({cidHash: keccak256(bytes(cid)), recordedAt: uint48(block.timestamp)}));
        _counts.push(uint48(block.timestamp), uint208(index + 1));
        emit MembershipBatchRecorded(index, joins, leaves, cid, uint48(block.timestamp), msg.sender);
    }

    /// @inheritdoc IMembershipRegistry
    function batchCount() external view returns (uint256) {
        return _batches.length;
    }

    /// @inheritdoc IMembershipRegistry
    function batchesBefore(uint48 timestamp) external view returns (uint256) {
        return timestamp == 0 ? 0 : _counts.upperLookupRecent(timestamp - 1);
    }

    /// @inheritdoc IMembershipRegistry
    function batch(uint256 index) external view returns (bytes32 cidHash, uint48 recordedAt) {
        if (index >= _batches.length) revert MembershipRegistryUnknownBatch(index);
        Batch storage b = _batches[index];
        return (b.cidHash, b.recordedAt);
    }
}

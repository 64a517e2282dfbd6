// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NaiveEvidenceStore
/// @notice Benchmark baseline only: one storage record and one transaction per evidence item.
contract NaiveEvidenceStore {
    struct Record {
        address submitter;
        uint48 recordedAt;
    }

    mapping(bytes32 contentHash => Record) private _records;

    /// @notice Emitted when an item was recorded.
    event EvidenceRecorded(bytes32 indexed contentHash, address indexed submitter, string cid);

    /// @notice The item was recorded before.
    error NaiveEvidenceStoreDuplicate(bytes32 contentHash);

    /// @notice Records one item.
    function record(bytes32 contentHash, string calldata cid) external {
        if (_records[contentHash].submitter != address(0)) revert NaiveEvidenceStoreDuplicate(contentHash);
        _records[contentHash] = Record({submitter: msg.sender, recordedAt: uint48(block.timestamp)});
        emit EvidenceRecorded(contentHash, msg.sender, cid);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IMembershipRegistry
 * @notice Anchors the plan's membership changes in batches. A batch is a file in IPFS of join and
 * leave records, each of a pseudonymous member hash (a salted hash of the platform's member id); the
 * chain fixes their order and the time each batch was recorded, so every validator re-derives the
 * members eligible for a period from the same events (docs/architecture.md, "Cost sharing").
 */
interface IMembershipRegistry {
    /// @notice Emitted when a gateway recorded a batch of membership changes.
    event MembershipBatchRecorded(
        uint256 indexed index,
        uint32 joins,
        uint32 leaves,
        string cid,
        uint48 recordedAt,
        address indexed gateway
    );

    /// @notice A batch needs at least one change and a CID.
    error MembershipRegistryEmptyBatch(uint32 joins, uint32 leaves, string cid);
    /// @notice No batch `index` was recorded.
    error MembershipRegistryUnknownBatch(uint256 index);

    /// @notice Records a batch of membership changes stored at `cid`. GATEWAY only.
    function recordBatch(uint32 joins, uint32 leaves, string calldata cid) external returns (uint256 index);

    /// @notice How many batches were recorded in all.
    function batchCount() external view returns (uint256);

    /// @notice How many batches were recorded at timestamps before `timestamp`: the first `n` batches
    /// decide who is a member at that time.
    function batchesBefore(uint48 timestamp) external view returns (uint256);

    /// @notice keccak256 of batch `index`'s CID and when it was recorded.
    function batch(uint256 index) external view returns (bytes32 cidHash, uint48 recordedAt);
}

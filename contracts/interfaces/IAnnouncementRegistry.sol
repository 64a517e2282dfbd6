// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IAnnouncementRegistry
 * @notice The public announcement of each period: a gateway publishes the root, entry count and
 * manifest CID of the period's announcement (every claim decided, disputed or paid in it) once the
 * period has closed; every validator re-derives it from chain events and M identical verdicts
 * confirm or reject it. A rejected announcement may be published again, corrected.
 *
 * Periods are fixed by the deployment: period `p` covers block timestamps in
 * [epoch + p * periodLength, epoch + (p + 1) * periodLength).
 */
interface IAnnouncementRegistry {
    enum AnnouncementStatus {
        None,
        Pending,
        Confirmed,
        Rejected
    }

    /// @notice A period's announcement as stored; `publication` counts its publications (a rejected
    /// one may be replaced), so votes on a replaced publication never count for the next.
    struct Announcement {
        bytes32 root;
        bytes32 manifestCidHash;
        uint32 entryCount;
        uint32 publication;
        uint48 publishedAt;
        AnnouncementStatus status;
    }

    /// @notice Emitted when a gateway published a closed period's announcement.
    event AnnouncementPublished(
        uint256 indexed period,
        bytes32 indexed root,
        uint256 entryCount,
        string manifestCid,
        address publisher
    );
    /// @notice Emitted when a validator gave its verdict on a period's announcement.
    event AnnouncementAttested(uint256 indexed period, bytes32 indexed root, address indexed validator, bool valid);
    /// @notice Emitted when M validators confirmed a period's announcement.
    event AnnouncementConfirmed(uint256 indexed period, bytes32 indexed root);
    /// @notice Emitted when M validators rejected a period's announcement.
    event AnnouncementRejected(uint256 indexed period, bytes32 indexed root);

    /// @notice Periods need a non-zero length.
    error AnnouncementRegistryInvalidPeriodLength(uint256 periodLength);
    /// @notice Period `period` is still open until `closesAt`.
    error AnnouncementRegistryPeriodOpen(uint256 period, uint256 closesAt);
    /// @notice An announcement needs a non-zero root and a manifest CID.
    error AnnouncementRegistryInvalidAnnouncement(uint256 period, bytes32 root, string manifestCid);
    /// @notice The period's announcement is pending or confirmed already.
    error AnnouncementRegistryAlreadyPublished(uint256 period, AnnouncementStatus status);
    /// @notice No pending announcement of `period` has root `root`.
    error AnnouncementRegistryNotPending(uint256 period, bytes32 root);
    /// @notice `validator` gave its verdict on this publication already.
    error AnnouncementRegistryAlreadyAttested(uint256 period, address validator);
    /// @notice `timestamp` precedes the start of period 0.
    error AnnouncementRegistryBeforeEpoch(uint256 timestamp, uint256 epoch);
    /// @notice Fewer current validators gave this verdict than the threshold.
    error AnnouncementRegistryQuorumNotReached(uint256 period, uint256 attestations, uint256 threshold);

    /// @notice Publishes the announcement of a closed period. GATEWAY only; once, unless rejected or
    /// still pending one period length after it was published.
    function publish(uint256 period, bytes32 root, uint32 entryCount, string calldata manifestCid) external;

    /// @notice A validator's verdict on the pending announcement of `period`, which must have `root`;
    /// the M-th identical verdict confirms or rejects it. VALIDATOR only, once per publication and admission.
    function attest(uint256 period, bytes32 root, bool valid) external;

    /// @notice Settles a verdict that reached the quorum after membership or threshold changed. VALIDATOR only.
    function finalize(uint256 period, bytes32 root, bool valid) external;

    /// @notice The announcement of `period` (status None if never published).
    function announcement(uint256 period) external view returns (Announcement memory);

    /// @notice Validators that gave each verdict on the current publication of `period`.
    function attestations(uint256 period) external view returns (address[] memory valid, address[] memory invalid);

    /// @notice The first and the last-plus-one timestamp of `period`.
    function periodBounds(uint256 period) external view returns (uint256 start, uint256 end);

    /// @notice The period that holds `timestamp`.
    function periodOf(uint256 timestamp) external view returns (uint256);

    /// @notice The start of period 0: the deployment's timestamp.
    function epoch() external view returns (uint256);

    /// @notice Seconds per period.
    function periodLength() external view returns (uint256);
}

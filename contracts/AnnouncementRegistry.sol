// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IAnnouncementRegistry} from "./interfaces/IAnnouncementRegistry.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title AnnouncementRegistry
 * @notice Anchors each period's public announcement and its M-of-N confirmation. Entries stay off
 * chain (a manifest in IPFS); only their root, count and the manifest CID's hash are stored.
 */
contract AnnouncementRegistry is IAnnouncementRegistry, ConsortiumGated {
    uint256 private immutable _epoch;
    uint256 private immutable _periodLength;
    mapping(uint256 period => Announcement) private _announcements;
    mapping(uint256 period => mapping(uint32 publication => mapping(bool valid => Votes))) private _verdicts;
    mapping(uint256 period => mapping(uint32 publication => mapping(address validator => uint64 admission)))
        private _attestedUnder;

    constructor(IConsortium consortium_, uint256 periodLength_) ConsortiumGated(consortium_) {
        if (periodLength_ == 0) revert AnnouncementRegistryInvalidPeriodLength(periodLength_);
        _epoch = block.timestamp;
        _periodLength = periodLength_;
    }

    /// @inheritdoc IAnnouncementRegistry
    function publish(
        uint256 period,
        bytes32 root,
        uint32 entryCount,
        string calldata manifestCid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        (, uint256 closesAt) = periodBounds(period);
        if (block.timestamp < closesAt) revert AnnouncementRegistryPeriodOpen(period, closesAt);
        if (root == bytes32(0) || bytes(manifestCid).length == 0)
            revert AnnouncementRegistryInvalidAnnouncement(period, root, manifestCid);
        Announcement storage a = _announcements[period];
        // A publication still pending a period after it was made (members split, or offline) may be
        // made again: its votes are dropped and the members judge the new one.
        bool stale =
            a.status == AnnouncementStatus.Pending && block.timestamp >= uint256(a.publishedAt) + _periodLength;
        if ((a.status == AnnouncementStatus.Pending && !stale) || a.status == AnnouncementStatus.Confirmed)
            revert AnnouncementRegistryAlreadyPublished(period, a.status);

        a.root = root;
        a.manifestCidHash = keccak256(bytes(manifestCid));
        a.entryCount = entryCount;
        a.publication += 1;
        a.publishedAt = uint48(block.timestamp);
        a.status = AnnouncementStatus.Pending;
        emit AnnouncementPublished(period, root, entryCount, manifestCid, msg.sender);
    }

    /// @inheritdoc IAnnouncementRegistry
    function attest(uint256 period, bytes32 root, bool valid) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Announcement storage a = _requirePending(period, root);
        uint64 admission = _admissionOf(msg.sender);
        if (_attestedUnder[period][a.publication][msg.sender] == admission)
            revert AnnouncementRegistryAlreadyAttested(period, msg.sender);

        _attestedUnder[period][a.publication][msg.sender] = admission;
        Votes storage verdict = _verdicts[period][a.publication][valid];
        _castVote(verdict, msg.sender);
        emit AnnouncementAttested(period, root, msg.sender, valid);

        if (_countVotes(verdict) >= _threshold()) _settle(period, a, valid);
    }

    /// @inheritdoc IAnnouncementRegistry
    function finalize(uint256 period, bytes32 root, bool valid) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Announcement storage a = _requirePending(period, root);
        uint256 count = _countVotes(_verdicts[period][a.publication][valid]);
        uint256 quorum = _threshold();
        if (count < quorum) revert AnnouncementRegistryQuorumNotReached(period, count, quorum);
        _settle(period, a, valid);
    }

    /// @inheritdoc IAnnouncementRegistry
    function announcement(uint256 period) external view returns (Announcement memory) {
        return _announcements[period];
    }

    /// @inheritdoc IAnnouncementRegistry
    function attestations(uint256 period) external view returns (address[] memory valid, address[] memory invalid) {
        uint32 publication = _announcements[period].publication;
        return (_verdicts[period][publication][true].voters, _verdicts[period][publication][false].voters);
    }

    /// @inheritdoc IAnnouncementRegistry
    function periodBounds(uint256 period) public view returns (uint256 start, uint256 end) {
        start = _epoch + period * _periodLength;
        end = start + _periodLength;
    }

    /// @inheritdoc IAnnouncementRegistry
    function periodOf(uint256 timestamp) external view returns (uint256) {
        if (timestamp < _epoch) revert AnnouncementRegistryBeforeEpoch(timestamp, _epoch);
        return (timestamp - _epoch) / _periodLength;
    }

    /// @inheritdoc IAnnouncementRegistry
    function epoch() external view returns (uint256) {
        return _epoch;
    }

    /// @inheritdoc IAnnouncementRegistry
    function periodLength() external view returns (uint256) {
        return _periodLength;
    }

    function _settle(uint256 period, Announcement storage a, bool valid) private {
        a.status = valid ? AnnouncementStatus.Confirmed : AnnouncementStatus.Rejected;
        if (valid) emit AnnouncementConfirmed(period, a.root);
        else emit AnnouncementRejected(period, a.root);
    }

    function _requirePending(uint256 period, bytes32 root) private view returns (Announcement storage a) {
        a = _announcements[period];
        if (a.status != AnnouncementStatus.Pending || a.root != root)
            revert AnnouncementRegistryNotPending(period, root);
    }
}

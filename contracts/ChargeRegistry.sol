// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IClaimRegistry} from "./interfaces/IClaimRegistry.sol";
import {IAnnouncementRegistry} from "./interfaces/IAnnouncementRegistry.sol";
import {IMembershipRegistry} from "./interfaces/IMembershipRegistry.sol";
import {IChargeRegistry} from "./interfaces/IChargeRegistry.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title ChargeRegistry
 * @notice Anchors each period's charge tree against a bill the chain computes itself, and carries
 * what a period could not charge into the next one.
 */
contract ChargeRegistry is IChargeRegistry, ConsortiumGated {
    using SafeCast for uint256;

    uint256 private constant _BASIS_POINTS = 10_000;

    IClaimRegistry private immutable _claims;
    IAnnouncementRegistry private immutable _periods;
    IMembershipRegistry private immutable _membership;
    uint256 private immutable _capPerPaidClaim;
    uint256 private immutable _waitingSeconds;

    uint256 private _nextPeriod;
    /// @dev What the last settled period left uncharged.
    uint256 private _carry;
    mapping(uint256 period => PeriodCharges) private _charges;
    mapping(uint256 period => mapping(uint32 publication => mapping(bool valid => Votes))) private _verdicts;
    mapping(uint256 period => mapping(uint32 publication => mapping(address validator => uint64 admission)))
        private _attestedUnder;

    constructor(
        IConsortium consortium_,
        IClaimRegistry claims_,
        IAnnouncementRegistry periods_,
        IMembershipRegistry membership_,
        uint256 capPerPaidClaim_,
        uint256 waitingSeconds_
    ) ConsortiumGated(consortium_) {
        _claims = claims_;
        _periods = periods_;
        _membership = membership_;
        _capPerPaidClaim = capPerPaidClaim_;
        _waitingSeconds = waitingSeconds_;
    }

    /// @inheritdoc IChargeRegistry
    function proposeCharges(
        uint256 period,
        bytes32 root,
        uint64 memberCount,
        uint64 membershipBatches,
        uint256 total,
        string calldata manifestCid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        uint256 closesAt = _requireClosedNext(period);
        PeriodCharges storage c = _charges[period];
        if (c.status == ChargeStatus.Pending) revert ChargeRegistryAlreadyProposed(period, c.status);
        if ((root == bytes32(0)) != (memberCount == 0) || bytes(manifestCid).length == 0)
            revert ChargeRegistryInvalidCharges(period, root, memberCount, manifestCid);
        Bill memory b = bill(period);
        if (total != b.total) revert ChargeRegistryBillMismatch(period, total, b.total);
        uint256 cutoff = _membership.batchesBefore(closesAt.toUint48());
        if (membershipBatches != cutoff) revert ChargeRegistryMembershipCutoff(period, membershipBatches, cutoff);

        uint256 charged = chargedOf(b, memberCount);
        c.root = root;
        c.manifestCidHash = keccak256(bytes(manifestCid));
        c.memberCount = memberCount;
        c.membershipBatches = membershipBatches;
        c.total = b.total.toUint128();
        c.fee = b.fee.toUint128();
        c.charged = charged.toUint128();
        c.carriedOut = (b.total - charged).toUint128();
        c.publication += 1;
        c.proposedAt = uint48(block.timestamp);
        c.status = ChargeStatus.Pending;
        emit ChargesProposed(period, root, memberCount, b.total, charged, manifestCid, msg.sender);
    }

    /// @inheritdoc IChargeRegistry
    function attest(uint256 period, bytes32 root, bool valid) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        PeriodCharges storage c = _requirePending(period, root);
        uint64 admission = _admissionOf(msg.sender);
        if (_attestedUnder[period][c.publication][msg.sender] == admission)
            revert ChargeRegistryAlreadyAttested(period, msg.sender);

        _attestedUnder[period][c.publication][msg.sender] = admission;
        Votes storage verdict = _verdicts[period][c.publication][valid];
        _castVote(verdict, msg.sender);
        emit ChargesAttested(period, root, msg.sender, valid);

        if (_countVotes(verdict) >= _threshold()) _settle(period, c, valid);
    }

    /// @inheritdoc IChargeRegistry
    function finalize(uint256 period, bytes32 root, bool valid) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        PeriodCharges storage c = _requirePending(period, root);
        uint256 count = _countVotes(_verdicts[period][c.publication][valid]);
        uint256 quorum = _threshold();
        if (count < quorum) revert ChargeRegistryQuorumNotReached(period, count, quorum);
        _settle(period, c, valid);
    }

    /// @inheritdoc IChargeRegistry
    function skipPeriod(uint256 period) external whenConsortiumActive {
        _requireClosedNext(period);
        PeriodCharges storage c = _charges[period];
        if (c.status == ChargeStatus.Pending) revert ChargeRegistryAlreadyProposed(period, c.status);
        Bill memory b = bill(period);
        // With members, the shares can sum to zero only when the bill or the cap is zero.
        uint256 charged = b.total == 0 || b.cap == 0 ? 0 : b.total;
        if (charged != 0) revert ChargeRegistryNotSkippable(period, charged);
        c.total = b.total.toUint128();
        c.fee = b.fee.toUint128();
        c.carriedOut = b.total.toUint128();
        c.status = ChargeStatus.Skipped;
        _carry = b.total;
        _nextPeriod = period + 1;
        emit PeriodSkipped(period, b.total);
    }

    /// @inheritdoc IChargeRegistry
    function bill(uint256 period) public view returns (Bill memory b) {
        if (period != _nextPeriod) revert ChargeRegistryOutOfOrder(period, _nextPeriod);
        (uint256 start, uint256 end) = _periods.periodBounds(period);
        (b.payouts, b.paidClaims) = _claims.paidBetween(start.toUint48(), end.toUint48());
        b.fee = (b.payouts * consortium().feeRate()) / _BASIS_POINTS;
        b.carriedIn = _carry;
        b.total = b.payouts + b.fee + b.carriedIn;
        b.cap = _capPerPaidClaim == 0 ? type(uint256).max : _capPerPaidClaim * b.paidClaims;
    }

    /// @inheritdoc IChargeRegistry
    function chargedOf(Bill memory b, uint64 memberCount) public pure returns (uint256) {
        if (memberCount == 0) return 0;
        if (b.cap == type(uint256).max || b.total / memberCount < b.cap) return b.total;
        return b.cap * memberCount;
    }

    /// @inheritdoc IChargeRegistry
    function charges(uint256 period) external view returns (PeriodCharges memory) {
        return _charges[period];
    }

    /// @inheritdoc IChargeRegistry
    function attestations(uint256 period) external view returns (address[] memory valid, address[] memory invalid) {
        uint32 publication = _charges[period].publication;
        return (_verdicts[period][publication][true].voters, _verdicts[period][publication][false].voters);
    }

    /// @inheritdoc IChargeRegistry
    function nextPeriod() external view returns (uint256) {
        return _nextPeriod;
    }

    /// @inheritdoc IChargeRegistry
    function capPerPaidClaim() external view returns (uint256) {
        return _capPerPaidClaim;
    }

    /// @inheritdoc IChargeRegistry
    function waitingSeconds() external view returns (uint256) {
        return _waitingSeconds;
    }

    function _settle(uint256 period, PeriodCharges storage c, bool valid) private {
        if (!valid) {
            c.status = ChargeStatus.Rejected;
            emit ChargesRejected(period, c.root);
            return;
        }
        c.status = ChargeStatus.Confirmed;
        _carry = c.carriedOut;
        _nextPeriod = period + 1;
        emit ChargesConfirmed(period, c.root, c.charged, c.carriedOut);
    }

    /// @dev Reverts unless `period` is the next to charge and has closed; returns when it closed.
    function _requireClosedNext(uint256 period) private view returns (uint256 closesAt) {
        if (period != _nextPeriod) revert ChargeRegistryOutOfOrder(period, _nextPeriod);
        (, closesAt) = _periods.periodBounds(period);
        if (block.timestamp < closesAt) revert ChargeRegistryPeriodOpen(period, closesAt);
    }

    function _requirePending(uint256 period, bytes32 root) private view returns (PeriodCharges storage c) {
        c = _charges[period];
        if (c.status != ChargeStatus.Pending || c.root != root) revert ChargeRegistryNotPending(period, root);
    }
}

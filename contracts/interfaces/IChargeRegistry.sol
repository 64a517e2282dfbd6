// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IChargeRegistry
 * @notice Equal cost sharing, period by period. A period's bill is fixed by the chain alone: the
 * payouts recorded in it (ClaimRegistry), the management fee on them at the consortium's rate, and
 * what the previous period carried. A gateway proposes the period's charge tree (root, member count,
 * manifest CID) over the members eligible at the period's close (the membership batches recorded
 * before it); every validator re-derives the eligible set and the tree, and M verdicts settle it.
 * Periods are charged in order, so no bill and no carry is ever skipped.
 */
interface IChargeRegistry {
    enum ChargeStatus {
        None,
        Pending,
        Confirmed,
        Rejected,
        Skipped
    }

    /// @notice What a period must raise, as the chain computes it.
    struct Bill {
        uint256 payouts;
        uint256 paidClaims;
        /// @dev payouts * feeRate / 10,000, rounded down.
        uint256 fee;
        uint256 carriedIn;
        /// @dev payouts + fee + carriedIn.
        uint256 total;
        /// @dev Most a member pays this period: capPerPaidClaim * paidClaims; type(uint256).max when uncapped.
        uint256 cap;
    }

    /// @notice A period's charges as proposed; `publication` counts proposals (a rejected one may be
    /// replaced), so verdicts on a replaced proposal never count for the next.
    struct PeriodCharges {
        bytes32 root;
        bytes32 manifestCidHash;
        uint64 memberCount;
        uint64 membershipBatches;
        uint128 total;
        uint128 fee;
        uint128 charged;
        uint128 carriedOut;
        uint32 publication;
        uint48 proposedAt;
        ChargeStatus status;
    }

    /// @notice Emitted when a gateway proposed a closed period's charges.
    event ChargesProposed(
        uint256 indexed period,
        bytes32 indexed root,
        uint64 memberCount,
        uint256 total,
        uint256 charged,
        string manifestCid,
        address indexed gateway
    );
    /// @notice Emitted when a validator gave its verdict on a period's proposed charges.
    event ChargesAttested(uint256 indexed period, bytes32 indexed root, address indexed validator, bool valid);
    /// @notice Emitted when M validators confirmed a period's charges; `carriedOut` enters the next bill.
    event ChargesConfirmed(uint256 indexed period, bytes32 indexed root, uint256 charged, uint256 carriedOut);
    /// @notice Emitted when M validators rejected a period's proposed charges.
    event ChargesRejected(uint256 indexed period, bytes32 indexed root);
    /// @notice Emitted when a period charged nobody anything (no bill, or no cap room) and carried its whole bill.
    event PeriodSkipped(uint256 indexed period, uint256 carriedOut);

    /// @notice Periods are charged in order: `period` is not `next`.
    error ChargeRegistryOutOfOrder(uint256 period, uint256 next);
    /// @notice Period `period` is still open until `closesAt`.
    error ChargeRegistryPeriodOpen(uint256 period, uint256 closesAt);
    /// @notice The proposal was built on a bill of `stated`; the chain's is `onChain`.
    error ChargeRegistryBillMismatch(uint256 period, uint256 stated, uint256 onChain);
    /// @notice The proposal derived its members from `stated` batches; `onChain` were recorded before the close.
    error ChargeRegistryMembershipCutoff(uint256 period, uint256 stated, uint256 onChain);
    /// @notice A proposal needs a manifest CID, and a root exactly when it has members.
    error ChargeRegistryInvalidCharges(uint256 period, bytes32 root, uint64 memberCount, string manifestCid);
    /// @notice The period's charges are pending, confirmed or skipped already.
    error ChargeRegistryAlreadyProposed(uint256 period, ChargeStatus status);
    /// @notice No pending proposal of `period` has root `root`.
    error ChargeRegistryNotPending(uint256 period, bytes32 root);
    /// @notice `validator` gave its verdict on this proposal already.
    error ChargeRegistryAlreadyAttested(uint256 period, address validator);
    /// @notice Only `count` of the `threshold` verdicts needed.
    error ChargeRegistryQuorumNotReached(uint256 period, uint256 count, uint256 threshold);
    /// @notice The period would charge its members `charged`: it needs a proposal, not a skip.
    error ChargeRegistryNotSkippable(uint256 period, uint256 charged);

    /// @notice Proposes the charges of the next period to charge, once it closed. GATEWAY only. Refused
    /// unless `total` is the bill the chain computes and `membershipBatches` the batches recorded
    /// before the period's close.
    function proposeCharges(
        uint256 period,
        bytes32 root,
        uint64 memberCount,
        uint64 membershipBatches,
        uint256 total,
        string calldata manifestCid
    ) external;

    /// @notice A validator's verdict on the pending proposal with `root`; M equal verdicts settle it.
    function attest(uint256 period, bytes32 root, bool valid) external;

    /// @notice Settles a proposal whose verdicts reached the quorum after the threshold changed. VALIDATOR only.
    function finalize(uint256 period, bytes32 root, bool valid) external;

    /// @notice Closes a period that charges nobody anything (its bill is zero, or its cap is zero:
    /// no claim was paid in it), carrying its whole bill to the next. Anyone may call it.
    function skipPeriod(uint256 period) external;

    /// @notice The next period's bill as the chain computes it now; reverts for any other period.
    function bill(uint256 period) external view returns (Bill memory);

    /// @notice What the shares of `memberCount` members sum to under `b`: the total, or less under the cap.
    function chargedOf(Bill memory b, uint64 memberCount) external pure returns (uint256);

    /// @notice A period's charges as proposed and settled.
    function charges(uint256 period) external view returns (PeriodCharges memory);

    /// @notice Validators whose verdicts on the current proposal of `period` were valid, and invalid.
    function attestations(uint256 period) external view returns (address[] memory valid, address[] memory invalid);

    /// @notice The period to be charged next.
    function nextPeriod() external view returns (uint256);

    /// @notice Most a member pays per claim paid in a period (the plan's 0.1 RMB per sick member); 0 for no cap.
    function capPerPaidClaim() external view returns (uint256);

    /// @notice Seconds between a member's join being recorded and the member sharing costs.
    function waitingSeconds() external view returns (uint256);
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IClaimRegistry
 * @notice The claim lifecycle: Filed -> UnderReview -> Approved | Rejected; Rejected, or Approved for
 * less than asked -> Disputed -> (jury) -> Approved (in full) | back to the decision disputed;
 * Approved -> Paid. No personal data on chain: a claim holds a plan id, amounts, hashes and the CID
 * of its (encrypted) metadata. A review decision binds the claim's evidence-set root and the hash
 * of its public reason document, so the reason published is the one M members endorsed.
 */
interface IClaimRegistry {
    enum ClaimState {
        None,
        Filed,
        UnderReview,
        Approved,
        Rejected,
        Disputed,
        Paid
    }

    enum Decision {
        None,
        Approve,
        Reject
    }

    /// @notice A claim as stored. `disputed` is set once a dispute was raised (a claim is disputed at
    /// most once); `evidenceRoot` is the evidence-set root the final review decision committed to and
    /// `reasonHash` the SHA-256 of its public reason document (the digest of its raw-leaf CID).
    struct Claim {
        address claimant;
        uint64 planId;
        ClaimState state;
        bool disputed;
        uint128 amountRequested;
        uint128 amountApproved;
        uint48 filedAt;
        uint48 decidedAt;
        bytes32 evidenceRoot;
        bytes32 reasonHash;
        bytes32 paymentReference;
        string metadataCid;
    }

    /// @notice Emitted when a claim was filed.
    event ClaimFiled(
        uint256 indexed claimId,
        address indexed claimant,
        uint64 planId,
        uint128 amountRequested,
        string metadataCid
    );
    /// @notice Emitted on every state transition, filing included.
    event ClaimStateChanged(uint256 indexed claimId, ClaimState from, ClaimState to);
    /// @notice Emitted when a validator endorsed a review decision.
    event ClaimEndorsed(
        uint256 indexed claimId,
        address indexed validator,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    );
    /// @notice Emitted when M validators' endorsements made a review decision final.
    event ClaimDecided(
        uint256 indexed claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    );
    /// @notice Emitted when the jury court applied a jury outcome.
    event ClaimJuryOutcomeApplied(uint256 indexed claimId, bool overturned);
    /// @notice Emitted when a member recorded the payout of an approved claim.
    event ClaimPaid(uint256 indexed claimId, uint128 amount, bytes32 paymentReference, address indexed payer);

    /// @notice Claimants are externally owned accounts: `claimant` has code.
    error ClaimRegistryContractClaimant(address claimant);
    /// @notice No claim `claimId` exists.
    error ClaimRegistryUnknownClaim(uint256 claimId);
    /// @notice The claim cannot move from `from` to `to`.
    error ClaimRegistryInvalidTransition(uint256 claimId, ClaimState from, ClaimState to);
    /// @notice A claim needs a claimant, a non-zero amount and a metadata CID.
    error ClaimRegistryInvalidClaim(address claimant, uint128 amount, string metadataCid);
    /// @notice The signed message expired at `deadline`.
    error ClaimRegistryExpiredSignature(uint256 deadline);
    /// @notice The signature is not `signer`'s over this message (wrong signer, chain, contract or field).
    error ClaimRegistryInvalidSignature(address signer);
    /// @notice Approve needs 0 < amount <= requested, Reject needs amount 0; both a non-zero evidence
    /// root and reason hash.
    error ClaimRegistryInvalidDecision(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    );
    /// @notice `validator` endorsed exactly this decision on this claim already.
    error ClaimRegistryAlreadyEndorsed(uint256 claimId, address validator);
    /// @notice Fewer current validators endorsed this decision than the threshold.
    error ClaimRegistryQuorumNotReached(uint256 claimId, uint256 endorsements, uint256 threshold);
    /// @notice Only the claimant may dispute (directly or by signature).
    error ClaimRegistryNotClaimant(uint256 claimId, address account);
    /// @notice The dispute window closed at `closesAt`.
    error ClaimRegistryDisputeWindowClosed(uint256 claimId, uint256 closesAt);
    /// @notice The claim was disputed once already.
    error ClaimRegistryAlreadyDisputed(uint256 claimId);
    /// @notice The claim was approved for everything asked: there is nothing to dispute.
    error ClaimRegistryApprovedInFull(uint256 claimId, uint128 amount);
    /// @notice A partial approval is paid only once its dispute window closed at `closesAt`.
    error ClaimRegistryDisputeWindowOpen(uint256 claimId, uint256 closesAt);
    /// @notice A range of timestamps ends before it starts.
    error ClaimRegistryInvalidRange(uint48 from, uint48 to);
    /// @notice A payout needs a non-zero payment reference.
    error ClaimRegistryEmptyPaymentReference(uint256 claimId);

    /// @notice Files a claim for the caller, who becomes the claimant. Contracts cannot be claimants.
    function fileClaim(uint64 planId, uint128 amount, string calldata metadataCid) external returns (uint256 claimId);

    /// @notice Files a claim for `claimant` on their EIP-712 `FileClaim` signature. GATEWAY only.
    function fileClaimFor(
        address claimant,
        uint64 planId,
        uint128 amount,
        string calldata metadataCid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external returns (uint256 claimId);

    /// @notice Filed -> UnderReview. VALIDATOR only.
    function startReview(uint256 claimId) external;

    /// @notice Endorses a review decision over the claim's evidence-set root, the amount and the hash
    /// of the public reason document; the M-th matching endorsement from current validators makes it
    /// final. Conflicting endorsements are recorded and count only for their own decision. VALIDATOR
    /// only; one endorsement per claim and admission, which a new one replaces while the claim is
    /// under review (so members can converge on one reason); an endorsement counts only while its
    /// giver is a member under that admission.
    function endorse(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external;

    /// @notice Makes a decision final that reached the quorum after membership or threshold changed. VALIDATOR only.
    function finalize(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external;

    /// @notice Rejected, or Approved for less than asked -> Disputed, by the claimant within the
    /// dispute window (extended by any time the consortium spent paused since the decision).
    function dispute(uint256 claimId) external;

    /// @notice {dispute} on the claimant's EIP-712 `DisputeClaim` signature. GATEWAY only.
    function disputeFor(uint256 claimId, uint256 nonce, uint256 deadline, bytes calldata signature) external;

    /// @notice Disputed -> Approved at the requested amount (overturned), or back to the decision
    /// disputed: Rejected, or Approved at the amount approved. JURY_COURT only.
    function applyJuryOutcome(uint256 claimId, bool overturned) external;

    /// @notice Approved -> Paid, once, with the off-chain payment reference, by the member that paid.
    /// A partial approval not disputed is paid only after its dispute window. VALIDATOR only.
    function recordPayout(uint256 claimId, bytes32 paymentReference) external;

    /// @notice The claim; reverts with {ClaimRegistryUnknownClaim} for unknown ids.
    function claim(uint256 claimId) external view returns (Claim memory);

    /// @notice Number of claims filed; ids run from 1 to this number.
    function claimCount() external view returns (uint256);

    /// @notice Validators that endorsed exactly this decision on `claimId` at some point, under any
    /// admission (a later endorsement may have replaced theirs: see {ClaimEndorsed}).
    function endorsements(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external view returns (address[] memory);

    /// @notice The sum and the count of the payouts recorded at timestamps in [from, to): a period's
    /// payouts, which its cost-sharing bill and per-member cap are built on.
    function paidBetween(uint48 from, uint48 to) external view returns (uint256 amount, uint256 claims);

    /// @notice Seconds after a rejection during which the claimant may dispute.
    function disputeWindow() external view returns (uint256);
}

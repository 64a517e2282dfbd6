// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IClaimRegistry} from "./interfaces/IClaimRegistry.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title ClaimRegistry
 * @notice Claim states and M-of-N review decisions. Claimants act directly or through a gateway
 * relaying their EIP-712 signatures, with per-claimant nonces and deadlines. Claimants are
 * externally owned accounts: evidence, disputes and ballots are all signed off chain and checked by
 * the gateway and every validator with ECDSA, which a contract wallet cannot produce.
 */
contract ClaimRegistry is IClaimRegistry, ConsortiumGated, EIP712, Nonces {
    using Checkpoints for Checkpoints.Trace208;

    bytes32 public constant FILE_CLAIM_TYPEHASH = keccak256(
        "FileClaim(address claimant,uint64 planId,uint128 amount,string metadataCid,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant DISPUTE_CLAIM_TYPEHASH = keccak256(
        "DisputeClaim(uint256 claimId,uint256 nonce,uint256 deadline)"
    );

    uint256 private immutable _disputeWindow;
    uint256 private _claimCount;
    mapping(uint256 claimId => Claim) private _claims;
    mapping(uint256 claimId => mapping(bytes32 decisionKey => Votes)) private _endorsements;
    mapping(uint256 claimId => mapping(address validator => uint64 admission)) private _endorsedUnder;
    mapping(uint256 claimId => mapping(address validator => bytes32 decisionKey)) private _endorsedDecision;
    mapping(uint256 claimId => uint256 pausedTime) private _pausedTimeAtDecision;
    /// @dev Cumulative payouts by timestamp: any period's payouts are a difference of two lookups.
    Checkpoints.Trace208 private _paid;
    /// @dev Cumulative count of claims paid, by timestamp: a period's per-member cap counts them.
    Checkpoints.Trace208 private _paidClaims;

    constructor(
        IConsortium consortium_,
        uint256 disputeWindow_
    ) ConsortiumGated(consortium_) EIP712("AidProof ClaimRegistry", "1") {
        _disputeWindow = disputeWindow_;
    }

    /// @inheritdoc IClaimRegistry
    function fileClaim(
        uint64 planId,
        uint128 amount,
        string calldata metadataCid
    ) external whenConsortiumActive returns (uint256) {
        return _file(msg.sender, planId, amount, metadataCid);
    }

    /// @inheritdoc IClaimRegistry
    function fileClaimFor(
        address claimant,
        uint64 planId,
        uint128 amount,
        string calldata metadataCid,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) returns (uint256) {
        _requireExternallyOwned(claimant); // named before the signature check a contract cannot pass
        bytes32 structHash = keccak256(
            abi.encode(FILE_CLAIM_TYPEHASH, claimant, planId, amount, keccak256(bytes(metadataCid)), nonce, deadline)
        );
        _useClaimantSignature(claimant, structHash, nonce, deadline, signature);
        return _file(claimant, planId, amount, metadataCid);
    }

    /// @inheritdoc IClaimRegistry
    function startReview(uint256 claimId) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        _transition(claimId, ClaimState.Filed, ClaimState.UnderReview);
    }

    /// @inheritdoc IClaimRegistry
    function endorse(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Claim storage c = _requireState(claimId, ClaimState.UnderReview, _decisionTarget(decision));
        if (
            evidenceRoot == bytes32(0) ||
            reasonHash == bytes32(0) ||
            (decision == Decision.Approve && (amount == 0 || amount > c.amountRequested)) ||
            (decision == Decision.Reject && amount != 0) ||
            decision == Decision.None
        ) revert ClaimRegistryInvalidDecision(claimId, decision, evidenceRoot, amount, reasonHash);
        // One endorsement per member and admission; a new one replaces it while the claim is under
        // review, so members who wrote different reasons can converge on one.
        uint64 admission = _admissionOf(msg.sender);
        bytes32 key = _decisionKey(decision, evidenceRoot, amount, reasonHash);
        if (_endorsedUnder[claimId][msg.sender] == admission) {
            bytes32 previous = _endorsedDecision[claimId][msg.sender];
            if (previous == key) revert ClaimRegistryAlreadyEndorsed(claimId, msg.sender);
            _withdrawVote(_endorsements[claimId][previous], msg.sender);
        }

        _endorsedUnder[claimId][msg.sender] = admission;
        _endorsedDecision[claimId][msg.sender] = key;
        Votes storage endorsements_ = _endorsements[claimId][key];
        _castVote(endorsements_, msg.sender);
        emit ClaimEndorsed(claimId, msg.sender, decision, evidenceRoot, amount, reasonHash);

        if (_countVotes(endorsements_) >= _threshold()) _decide(claimId, c, decision, evidenceRoot, amount, reasonHash);
    }

    /// @inheritdoc IClaimRegistry
    function finalize(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        Claim storage c = _requireState(claimId, ClaimState.UnderReview, _decisionTarget(decision));
        uint256 count = _countVotes(_endorsements[claimId][_decisionKey(decision, evidenceRoot, amount, reasonHash)]);
        uint256 quorum = _threshold();
        if (count < quorum) revert ClaimRegistryQuorumNotReached(claimId, count, quorum);
        _decide(claimId, c, decision, evidenceRoot, amount, reasonHash);
    }

    /// @inheritdoc IClaimRegistry
    function dispute(uint256 claimId) external whenConsortiumActive {
        Claim storage c = _requireClaim(claimId);
        if (c.claimant != msg.sender) revert ClaimRegistryNotClaimant(claimId, msg.sender);
        _dispute(claimId, c);
    }

    /// @inheritdoc IClaimRegistry
    function disputeFor(
        uint256 claimId,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        Claim storage c = _requireClaim(claimId);
        bytes32 structHash = keccak256(abi.encode(DISPUTE_CLAIM_TYPEHASH, claimId, nonce, deadline));
        _useClaimantSignature(c.claimant, structHash, nonce, deadline, signature);
        _dispute(claimId, c);
    }

    /// @inheritdoc IClaimRegistry
    function applyJuryOutcome(uint256 claimId, bool overturned) external onlyConsortiumRole(AidProofRoles.JURY_COURT) {
        Claim storage c = _requireClaim(claimId);
        // Upheld, a claim returns to the decision disputed: a rejection approves nothing.
        ClaimState outcome = overturned || c.amountApproved > 0 ? ClaimState.Approved : ClaimState.Rejected;
        _transition(claimId, ClaimState.Disputed, outcome);
        if (overturned) c.amountApproved = c.amountRequested;
        c.decidedAt = uint48(block.timestamp);
        _pausedTimeAtDecision[claimId] = _pausedTime();
        emit ClaimJuryOutcomeApplied(claimId, overturned);
    }

    /// @inheritdoc IClaimRegistry
    function recordPayout(
        uint256 claimId,
        bytes32 paymentReference
    ) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        if (paymentReference == bytes32(0)) revert ClaimRegistryEmptyPaymentReference(claimId);
        Claim storage c = _requireState(claimId, ClaimState.Approved, ClaimState.Paid);
        // Paying a partial approval would end the claimant's right to dispute it: wait out the window.
        if (!c.disputed && c.amountApproved < c.amountRequested) {
            uint256 closesAt = _disputeClosesAt(claimId, c);
            if (block.timestamp <= closesAt) revert ClaimRegistryDisputeWindowOpen(claimId, closesAt);
        }
        _transition(claimId, ClaimState.Approved, ClaimState.Paid);
        c.paymentReference = paymentReference;
        _paid.push(uint48(block.timestamp), _paid.latest() + c.amountApproved);
        _paidClaims.push(uint48(block.timestamp), _paidClaims.latest() + 1);
        emit ClaimPaid(claimId, c.amountApproved, paymentReference, msg.sender);
    }

    /// @inheritdoc IClaimRegistry
    function claim(uint256 claimId) external view returns (Claim memory) {
        return _requireClaim(claimId);
    }

    /// @inheritdoc IClaimRegistry
    function claimCount() external view returns (uint256) {
        return _claimCount;
    }

    /// @inheritdoc IClaimRegistry
    function endorsements(
        uint256 claimId,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) external view returns (address[] memory) {
        return _endorsements[claimId][_decisionKey(decision, evidenceRoot, amount, reasonHash)].voters;
    }

    /// @inheritdoc IClaimRegistry
    function paidBetween(uint48 from, uint48 to) external view returns (uint256 amount, uint256 claims) {
        if (to < from) revert ClaimRegistryInvalidRange(from, to);
        amount = _before(_paid, to) - _before(_paid, from);
        claims = _before(_paidClaims, to) - _before(_paidClaims, from);
    }

    /// @inheritdoc IClaimRegistry
    function disputeWindow() external view returns (uint256) {
        return _disputeWindow;
    }

    function _file(
        address claimant,
        uint64 planId,
        uint128 amount,
        string calldata metadataCid
    ) private returns (uint256 claimId) {
        if (claimant == address(0) || amount == 0 || bytes(metadataCid).length == 0) {
            revert ClaimRegistryInvalidClaim(claimant, amount, metadataCid);
        }
        _requireExternallyOwned(claimant);
        claimId = ++_claimCount;
        Claim storage c = _claims[claimId];
        c.claimant = claimant;
        c.planId = planId;
        c.state = ClaimState.Filed;
        c.amountRequested = amount;
        c.filedAt = uint48(block.timestamp);
        c.metadataCid = metadataCid;
        emit ClaimFiled(claimId, claimant, planId, amount, metadataCid);
        emit ClaimStateChanged(claimId, ClaimState.None, ClaimState.Filed);
    }

    /// @dev A cumulative trace's value at timestamps before `timestamp`.
    function _before(Checkpoints.Trace208 storage trace, uint48 timestamp) private view returns (uint256) {
        return timestamp == 0 ? 0 : trace.upperLookupRecent(timestamp - 1);
    }

    function _requireExternallyOwned(address claimant) private view {
        if (claimant.code.length > 0) revert ClaimRegistryContractClaimant(claimant);
    }

    function _dispute(uint256 claimId, Claim storage c) private {
        if (c.disputed) revert ClaimRegistryAlreadyDisputed(claimId);
        ClaimState from = c.state;
        if (from != ClaimState.Rejected && from != ClaimState.Approved)
            revert ClaimRegistryInvalidTransition(claimId, from, ClaimState.Disputed);
        if (from == ClaimState.Approved && c.amountApproved == c.amountRequested)
            revert ClaimRegistryApprovedInFull(claimId, c.amountApproved);
        uint256 closesAt = _disputeClosesAt(claimId, c);
        if (block.timestamp > closesAt) revert ClaimRegistryDisputeWindowClosed(claimId, closesAt);
        c.disputed = true;
        _transition(claimId, from, ClaimState.Disputed);
    }

    /// @dev The window does not run while the consortium is paused: it is extended by the paused time.
    function _disputeClosesAt(uint256 claimId, Claim storage c) private view returns (uint256) {
        return uint256(c.decidedAt) + _disputeWindow + (_pausedTime() - _pausedTimeAtDecision[claimId]);
    }

    function _decide(
        uint256 claimId,
        Claim storage c,
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) private {
        _transition(claimId, ClaimState.UnderReview, _decisionTarget(decision));
        c.evidenceRoot = evidenceRoot;
        c.reasonHash = reasonHash;
        c.amountApproved = amount;
        c.decidedAt = uint48(block.timestamp);
        _pausedTimeAtDecision[claimId] = _pausedTime();
        emit ClaimDecided(claimId, decision, evidenceRoot, amount, reasonHash);
    }

    function _useClaimantSignature(
        address claimant,
        bytes32 structHash,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature
    ) private {
        if (block.timestamp > deadline) revert ClaimRegistryExpiredSignature(deadline);
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecover(_hashTypedDataV4(structHash), signature);
        if (error != ECDSA.RecoverError.NoError || signer != claimant) revert ClaimRegistryInvalidSignature(claimant);
        _useCheckedNonce(claimant, nonce);
    }

    function _transition(uint256 claimId, ClaimState from, ClaimState to) private returns (Claim storage c) {
        c = _requireState(claimId, from, to);
        c.state = to;
        emit ClaimStateChanged(claimId, from, to);
    }

    function _requireState(uint256 claimId, ClaimState from, ClaimState to) private view returns (Claim storage c) {
        c = _requireClaim(claimId);
        if (c.state != from) revert ClaimRegistryInvalidTransition(claimId, c.state, to);
    }

    function _requireClaim(uint256 claimId) private view returns (Claim storage c) {
        c = _claims[claimId];
        if (c.state == ClaimState.None) revert ClaimRegistryUnknownClaim(claimId);
    }

    function _decisionTarget(Decision decision) private pure returns (ClaimState) {
        return decision == Decision.Approve ? ClaimState.Approved : ClaimState.Rejected;
    }

    function _decisionKey(
        Decision decision,
        bytes32 evidenceRoot,
        uint128 amount,
        bytes32 reasonHash
    ) private pure returns (bytes32) {
        return keccak256(abi.encode(decision, evidenceRoot, amount, reasonHash));
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/**
 * @title IConsortium
 * @notice Membership and governance of the AidProof consortium: member organizations (one validator
 * key and one encryption public key each), operator roles such as GATEWAY, the quorum threshold M and
 * the pause switch. Every change is an M-of-N proposal of current members.
 */
interface IConsortium is IAccessControl {
    /// @notice What an executed proposal does; `params` are the ABI-encoded arguments listed per action.
    enum ProposalAction {
        AddMember, // (address account, string name, bytes encryptionKey)
        RemoveMember, // (address account)
        RotateMemberKeys, // (address account, address newAccount, bytes newEncryptionKey)
        GrantRole, // (bytes32 role, address account)
        RevokeRole, // (bytes32 role, address account)
        SetThreshold, // (uint256 threshold)
        Pause, // ()
        Unpause, // ()
        SetFeeRate, // (uint256 basisPoints)
        SetJuryRules // (JuryRules rules)
    }

    /// @notice The member jury's rules, held here so they change only by proposal. A case keeps the
    /// rules it was opened under.
    /// @param qualificationSeconds A juror's membership credential must predate the case by this much
    /// (the plan's exam-qualified members; 30 days in production).
    /// @param votingSeconds The voting window, fixed from the draw: nobody picks a shorter one
    /// (at least 24 hours in production).
    /// @param stallSeconds A case not decided this long after its voting deadline can be restarted by anyone.
    /// @param minPoolSize Fewest confirmed jurors a case may draw from; always more than `rosterSize`.
    /// @param rosterSize Jurors drawn in expectation (each pool entry is drawn with probability
    /// rosterSize / poolSize).
    /// @param minValidVotes Fewest valid ballots for a verdict (the plan needed more than 1,000).
    /// @param majorityBps Share of valid ballots, in basis points, that overturning must exceed (5,000: a majority).
    struct JuryRules {
        uint32 qualificationSeconds;
        uint32 votingSeconds;
        uint32 stallSeconds;
        uint32 minPoolSize;
        uint32 rosterSize;
        uint32 minValidVotes;
        uint16 majorityBps;
    }

    /// @notice A member organization as registered on chain.
    /// @param name Human-readable organization name.
    /// @param encryptionKey Compressed secp256k1 public key (33 bytes) that evidence keys are wrapped for.
    /// @param admission Non-zero admission number; a new one on every admission or key rotation, so
    /// approvals given under an earlier admission no longer count.
    struct Member {
        string name;
        bytes encryptionKey;
        uint64 admission;
    }

    /// @notice A member at construction time.
    struct InitialMember {
        address account;
        string name;
        bytes encryptionKey;
    }

    /// @notice A role granted at construction time (gateways, the jury court).
    struct RoleGrant {
        bytes32 role;
        address account;
    }

    /// @notice A proposal as stored.
    struct Proposal {
        ProposalAction action;
        address proposer;
        uint64 deadline;
        bool executed;
        bytes params;
    }

    /// @notice Emitted when `account` was admitted as a member organization.
    event MemberAdded(address indexed account, string name, bytes encryptionKey);
    /// @notice Emitted when `account` was removed from the consortium.
    event MemberRemoved(address indexed account);
    /// @notice Emitted when a member's validator address and/or encryption key were rotated.
    event MemberKeysRotated(address indexed account, address indexed newAccount, bytes newEncryptionKey);
    /// @notice Emitted when the quorum threshold changed.
    event ThresholdChanged(uint256 previousThreshold, uint256 newThreshold);
    /// @notice Emitted when the management fee rate changed (basis points of a period's payouts).
    event FeeRateChanged(uint256 previousRate, uint256 newRate);
    /// @notice Emitted when the jury rules changed.
    event JuryRulesChanged(JuryRules rules);
    /// @notice Emitted when a member proposed a change.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        ProposalAction action,
        bytes params,
        uint64 deadline
    );
    /// @notice Emitted when a member approved a proposal.
    event ProposalApproved(uint256 indexed proposalId, address indexed member);
    /// @notice Emitted when a proposal was executed.
    event ProposalExecuted(uint256 indexed proposalId, ProposalAction action);

    /// @notice `account` is not a current member.
    error ConsortiumNotMember(address account);
    /// @notice `account` is a member already.
    error ConsortiumDuplicateMember(address account);
    /// @notice The zero address cannot be a member or hold a role.
    error ConsortiumZeroAddress();
    /// @notice `threshold` is not within 1..`memberCount`.
    error ConsortiumInvalidThreshold(uint256 threshold, uint256 memberCount);
    /// @notice M must be more than half of N, so two conflicting decisions can never both reach quorum.
    error ConsortiumThresholdNotMajority(uint256 threshold, uint256 memberCount);
    /// @notice The encryption key is not a 33-byte compressed secp256k1 public key.
    error ConsortiumInvalidEncryptionKey(bytes encryptionKey);
    /// @notice `role` follows membership (VALIDATOR) or is never granted (DEFAULT_ADMIN).
    error ConsortiumRoleNotAssignable(bytes32 role);
    /// @notice No proposal `proposalId` exists.
    error ConsortiumUnknownProposal(uint256 proposalId);
    /// @notice The proposal's deadline has passed.
    error ConsortiumProposalExpired(uint256 proposalId, uint64 deadline);
    /// @notice The proposal was executed already.
    error ConsortiumProposalAlreadyExecuted(uint256 proposalId);
    /// @notice `member` approved this proposal already.
    error ConsortiumAlreadyApproved(uint256 proposalId, address member);
    /// @notice Fewer current-member approvals than the threshold.
    error ConsortiumInsufficientApprovals(uint256 proposalId, uint256 approvals, uint256 threshold);
    /// @notice A proposal deadline must lie in the future.
    error ConsortiumInvalidDeadline(uint64 deadline);
    /// @notice A fee rate is at most 10,000 basis points (100%).
    error ConsortiumInvalidFeeRate(uint256 basisPoints);

    /// @notice Jury rules need windows and a roster of at least one, a pool larger than the roster, at
    /// least one and at most `rosterSize` valid votes, and a majority of 5,000 to 9,999 basis points.
    error ConsortiumInvalidJuryRules(JuryRules rules);

    /// @notice Creates a proposal and counts the proposer's approval. Members only.
    /// @return proposalId The new proposal's id, counting from 1.
    function propose(
        ProposalAction action,
        bytes calldata params,
        uint64 deadline
    ) external returns (uint256 proposalId);

    /// @notice Approves a pending proposal. Members only, once per admission.
    function approve(uint256 proposalId) external;

    /// @notice Executes a proposal that at least `threshold()` current members approved. Members only.
    function execute(uint256 proposalId) external;

    /// @notice The management fee added to a period's payouts in its bill, in basis points; changed
    /// only by a SetFeeRate proposal (the plan this project serves charged 8%: 800).
    function feeRate() external view returns (uint256);

    /// @notice The member jury's current rules; changed only by a SetJuryRules proposal.
    function juryRules() external view returns (JuryRules memory);

    /// @notice The quorum M for governance, batch attestations, claim decisions and jury confirmations;
    /// always more than half of N.
    function threshold() external view returns (uint256);

    /// @notice N, the number of member organizations (each holds VALIDATOR).
    function memberCount() external view returns (uint256);

    /// @notice All member accounts, in no particular order.
    function members() external view returns (address[] memory);

    /// @notice Whether `account` is a member's validator address.
    function isMember(address account) external view returns (bool);

    /// @notice The member record of `account`; reverts with {ConsortiumNotMember} for others.
    function member(address account) external view returns (Member memory);

    /// @notice The current admission number of `account`, 0 for a non-member. Votes recorded under an
    /// admission count only while it is current: removal or rotation voids them, re-admission too.
    function admissionOf(address account) external view returns (uint64);

    /// @notice The stored proposal; reverts with {ConsortiumUnknownProposal} for unknown ids.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice Approvals of `proposalId` that still count: given by current members under their current admission.
    function approvalCount(uint256 proposalId) external view returns (uint256);

    /// @notice Number of proposals created so far.
    function proposalCount() external view returns (uint256);

    /// @notice Whether the consortium is paused (registries refuse writes while paused).
    function paused() external view returns (bool);

    /// @notice Seconds the consortium has spent paused since deployment, the current pause included.
    /// Registries extend their windows (dispute, jury voting) by the paused time they span.
    function pausedTime() external view returns (uint256);
}

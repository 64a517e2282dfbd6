// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title Consortium
 * @notice Self-governed membership: no account holds DEFAULT_ADMIN_ROLE, so roles change only through
 * executed proposals. VALIDATOR follows membership; other roles (GATEWAY, JURY_COURT) are granted and
 * revoked by proposal, and a holder may renounce them (a leaked gateway key can disable itself).
 */
contract Consortium is IConsortium, AccessControl, Pausable {
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 public constant VALIDATOR_ROLE = AidProofRoles.VALIDATOR;
    bytes32 public constant GATEWAY_ROLE = AidProofRoles.GATEWAY;
    bytes32 public constant JURY_COURT_ROLE = AidProofRoles.JURY_COURT;

    uint256 private constant _COMPRESSED_KEY_LENGTH = 33;

    EnumerableSet.AddressSet private _memberAccounts;
    mapping(address account => Member) private _members;
    uint64 private _lastAdmission;
    uint256 private _threshold;
    uint256 private _pausedTimeBefore;
    uint256 private _feeRate;
    JuryRules private _juryRules;
    uint256 private _pausedSince;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => address[]) private _approvers;
    mapping(uint256 proposalId => mapping(address member => uint64 admission)) private _approvals;

    modifier onlyMember() {
        if (!_memberAccounts.contains(msg.sender)) revert ConsortiumNotMember(msg.sender);
        _;
    }

    constructor(
        InitialMember[] memory initialMembers,
        uint256 initialThreshold,
        RoleGrant[] memory initialRoles,
        JuryRules memory initialJuryRules
    ) {
        for (uint256 i = 0; i < initialMembers.length; ++i) {
            InitialMember memory m = initialMembers[i];
            _addMember(m.account, m.name, m.encryptionKey);
        }
        _setThreshold(initialThreshold);
        _requireMajorityThreshold();
        for (uint256 i = 0; i < initialRoles.length; ++i) {
            _grantAssignableRole(initialRoles[i].role, initialRoles[i].account);
        }
        _setJuryRules(initialJuryRules);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IConsortium
    function propose(
        ProposalAction action,
        bytes calldata params,
        uint64 deadline
    ) external onlyMember returns (uint256 proposalId) {
        if (deadline <= block.timestamp) revert ConsortiumInvalidDeadline(deadline);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = Proposal({
            action: action,
            proposer: msg.sender,
            deadline: deadline,
            executed: false,
            params: params
        });
        emit ProposalCreated(proposalId, msg.sender, action, params, deadline);
        _approve(proposalId);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external onlyMember {
        _requirePending(proposalId);
        _approve(proposalId);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId) external onlyMember {
        Proposal storage p = _requirePending(proposalId);
        uint256 approvals = approvalCount(proposalId);
        if (approvals < _threshold) revert ConsortiumInsufficientApprovals(proposalId, approvals, _threshold);
        p.executed = true;
        _apply(p.action, p.params);
        emit ProposalExecuted(proposalId, p.action);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IConsortium
    function feeRate() external view returns (uint256) {
        return _feeRate;
    }

    /// @inheritdoc IConsortium
    function juryRules() external view returns (JuryRules memory) {
        return _juryRules;
    }

    /// @inheritdoc IConsortium
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IConsortium
    function memberCount() public view returns (uint256) {
        return _memberAccounts.length();
    }

    /// @inheritdoc IConsortium
    function members() external view returns (address[] memory) {
        return _memberAccounts.values();
    }

    /// @inheritdoc IConsortium
    function isMember(address account) external view returns (bool) {
        return _memberAccounts.contains(account);
    }

    /// @inheritdoc IConsortium
    function member(address account) external view returns (Member memory) {
        if (!_memberAccounts.contains(account)) revert ConsortiumNotMember(account);
        return _members[account];
    }

    /// @inheritdoc IConsortium
    function admissionOf(address account) external view returns (uint64) {
        return _memberAccounts.contains(account) ? _members[account].admission : 0;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _requireProposal(proposalId);
    }

    /// @inheritdoc IConsortium
    function approvalCount(uint256 proposalId) public view returns (uint256 count) {
        address[] storage approvers = _approvers[proposalId];
        for (uint256 i = 0; i < approvers.length; ++i) {
            address a = approvers[i];
            if (_memberAccounts.contains(a) && _approvals[proposalId][a] == _members[a].admission) ++count;
        }
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortium
    function paused() public view override(IConsortium, Pausable) returns (bool) {
        return Pausable.paused();
    }

    /// @inheritdoc IConsortium
    function pausedTime() external view returns (uint256) {
        return _pausedTimeBefore + (paused() ? block.timestamp - _pausedSince : 0);
    }

    /// @notice VALIDATOR cannot be renounced: it leaves with membership, by proposal.
    function renounceRole(bytes32 role, address callerConfirmation) public override(AccessControl, IAccessControl) {
        if (role == VALIDATOR_ROLE) revert ConsortiumRoleNotAssignable(role);
        super.renounceRole(role, callerConfirmation);
    }

    // ---------------------------------------------------------------- internals

    function _approve(uint256 proposalId) private {
        uint64 admission = _members[msg.sender].admission;
        if (_approvals[proposalId][msg.sender] == admission) revert ConsortiumAlreadyApproved(proposalId, msg.sender);
        if (_approvals[proposalId][msg.sender] == 0) _approvers[proposalId].push(msg.sender);
        _approvals[proposalId][msg.sender] = admission;
        emit ProposalApproved(proposalId, msg.sender);
    }

    function _requireProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.deadline == 0) revert ConsortiumUnknownProposal(proposalId);
    }

    function _requirePending(uint256 proposalId) private view returns (Proposal storage p) {
        p = _requireProposal(proposalId);
        if (p.executed) revert ConsortiumProposalAlreadyExecuted(proposalId);
        if (block.timestamp > p.deadline) revert ConsortiumProposalExpired(proposalId, p.deadline);
    }

    function _apply(ProposalAction action, bytes memory params) private {
        if (action == ProposalAction.AddMember) {
            (address account, string memory name, bytes memory key) = abi.decode(params, (address, string, bytes));
            _addMember(account, name, key);
        } else if (action == ProposalAction.RemoveMember) {
            _removeMember(abi.decode(params, (address)));
        } else if (action == ProposalAction.RotateMemberKeys) {
            (address account, address newAccount, bytes memory key) = abi.decode(params, (address, address, bytes));
            _rotateMemberKeys(account, newAccount, key);
        } else if (action == ProposalAction.GrantRole) {
            (bytes32 role, address account) = abi.decode(params, (bytes32, address));
            _grantAssignableRole(role, account);
        } else if (action == ProposalAction.RevokeRole) {
            (bytes32 role, address account) = abi.decode(params, (bytes32, address));
            _requireAssignable(role);
            _revokeRole(role, account);
        } else if (action == ProposalAction.SetThreshold) {
            _setThreshold(abi.decode(params, (uint256)));
        } else if (action == ProposalAction.Pause) {
            _pausedSince = block.timestamp;
            _pause();
        } else if (action == ProposalAction.Unpause) {
            _pausedTimeBefore += block.timestamp - _pausedSince;
            _unpause();
        } else if (action == ProposalAction.SetFeeRate) {
            _setFeeRate(abi.decode(params, (uint256)));
        } else {
            _setJuryRules(abi.decode(params, (JuryRules)));
        }
        _requireMajorityThreshold();
    }

    function _setFeeRate(uint256 basisPoints) private {
        if (basisPoints > 10_000) revert ConsortiumInvalidFeeRate(basisPoints);
        uint256 previous = _feeRate;
        _feeRate = basisPoints;
        emit FeeRateChanged(previous, basisPoints);
    }

    function _setJuryRules(JuryRules memory rules) private {
        bool valid =
            rules.votingSeconds != 0 &&
                rules.stallSeconds != 0 &&
                rules.rosterSize != 0 &&
                rules.minPoolSize > rules.rosterSize &&
                rules.minValidVotes != 0 &&
                rules.minValidVotes <= rules.rosterSize &&
                rules.majorityBps >= 5_000 &&
                rules.majorityBps < 10_000;
        if (!valid) revert ConsortiumInvalidJuryRules(rules);
        _juryRules = rules;
        emit JuryRulesChanged(rules);
    }

    function _addMember(address account, string memory name, bytes memory encryptionKey) private {
        if (account == address(0)) revert ConsortiumZeroAddress();
        _requireEncryptionKey(encryptionKey);
        if (!_memberAccounts.add(account)) revert ConsortiumDuplicateMember(account);
        _members[account] = Member({name: name, encryptionKey: encryptionKey, admission: ++_lastAdmission});
        _grantRole(VALIDATOR_ROLE, account);
        emit MemberAdded(account, name, encryptionKey);
    }

    function _removeMember(address account) private {
        if (!_memberAccounts.remove(account)) revert ConsortiumNotMember(account);
        uint256 remaining = _memberAccounts.length();
        if (_threshold > remaining) revert ConsortiumInvalidThreshold(_threshold, remaining);
        delete _members[account];
        _revokeRole(VALIDATOR_ROLE, account);
        emit MemberRemoved(account);
    }

    function _rotateMemberKeys(address account, address newAccount, bytes memory newEncryptionKey) private {
        if (!_memberAccounts.contains(account)) revert ConsortiumNotMember(account);
        if (newAccount == address(0)) revert ConsortiumZeroAddress();
        _requireEncryptionKey(newEncryptionKey);
        Member memory current = _members[account];
        if (newAccount != account) {
            if (!_memberAccounts.add(newAccount)) revert ConsortiumDuplicateMember(newAccount);
            _memberAccounts.remove(account);
            delete _members[account];
            _revokeRole(VALIDATOR_ROLE, account);
            _grantRole(VALIDATOR_ROLE, newAccount);
        }
        _members[newAccount] = Member({
            name: current.name,
            encryptionKey: newEncryptionKey,
            admission: ++_lastAdmission
        });
        emit MemberKeysRotated(account, newAccount, newEncryptionKey);
    }

    function _setThreshold(uint256 newThreshold) private {
        uint256 n = _memberAccounts.length();
        if (newThreshold == 0 || newThreshold > n) revert ConsortiumInvalidThreshold(newThreshold, n);
        uint256 previous = _threshold;
        _threshold = newThreshold;
        emit ThresholdChanged(previous, newThreshold);
    }

    /// @dev After any change of members or threshold: M > N/2.
    function _requireMajorityThreshold() private view {
        uint256 n = _memberAccounts.length();
        if (2 * _threshold <= n) revert ConsortiumThresholdNotMajority(_threshold, n);
    }

    function _grantAssignableRole(bytes32 role, address account) private {
        _requireAssignable(role);
        if (account == address(0)) revert ConsortiumZeroAddress();
        _grantRole(role, account);
    }

    function _requireAssignable(bytes32 role) private pure {
        if (role == VALIDATOR_ROLE || role == DEFAULT_ADMIN_ROLE) revert ConsortiumRoleNotAssignable(role);
    }

    function _requireEncryptionKey(bytes memory key) private pure {
        if (key.length != _COMPRESSED_KEY_LENGTH || (key[0] != 0x02 && key[0] != 0x03)) {
            revert ConsortiumInvalidEncryptionKey(key);
        }
    }
}

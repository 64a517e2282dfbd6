// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IConsortiumGated} from "./interfaces/IConsortiumGated.sol";

/**
 * @title ConsortiumGated
 * @notice Role checks against the consortium, the pause switch, and quorum counting for the registries.
 */
abstract contract ConsortiumGated is IConsortiumGated {
    /// @dev Validators' votes on one question (a decision, a tally), each under the admission it was cast in.
    struct Votes {
        address[] voters;
        mapping(address voter => uint64 admission) admissions;
    }

    /// @dev Marks a vote its giver withdrew: it stays in `voters` (so a later vote is not listed twice) but never counts.
    uint64 private constant _WITHDRAWN = type(uint64).max;

    IConsortium private immutable _consortium;

    /// @dev Reverts unless the consortium is active and the caller holds `role`.
    modifier onlyConsortiumRole(bytes32 role) {
        _requireActive();
        if (!_consortium.hasRole(role, msg.sender)) revert ConsortiumGatedUnauthorizedAccount(msg.sender, role);
        _;
    }

    /// @dev Reverts while the consortium is paused.
    modifier whenConsortiumActive() {
        _requireActive();
        _;
    }

    constructor(IConsortium consortium_) {
        _consortium = consortium_;
    }

    /// @inheritdoc IConsortiumGated
    function consortium() public view returns (IConsortium) {
        return _consortium;
    }

    function _requireActive() private view {
        if (_consortium.paused()) revert ConsortiumGatedPaused();
    }

    /// @dev The current quorum M.
    function _threshold() internal view returns (uint256) {
        return _consortium.threshold();
    }

    /// @dev The admission under which `account` votes now; 0 for a non-member.
    function _admissionOf(address account) internal view returns (uint64) {
        return _consortium.admissionOf(account);
    }

    /// @dev Seconds the consortium has spent paused so far: windows are extended by what they span.
    function _pausedTime() internal view returns (uint256) {
        return _consortium.pausedTime();
    }

    /// @dev Records `voter`'s vote under its current admission; false if it voted under it already.
    function _castVote(Votes storage votes, address voter) internal returns (bool) {
        uint64 admission = _admissionOf(voter);
        uint64 previous = votes.admissions[voter];
        if (previous == admission) return false;
        if (previous == 0) votes.voters.push(voter);
        votes.admissions[voter] = admission;
        return true;
    }

    /// @dev Withdraws `voter`'s vote: it no longer counts, and `voter` may vote here again.
    function _withdrawVote(Votes storage votes, address voter) internal {
        votes.admissions[voter] = _WITHDRAWN;
    }

    /// @dev Votes that still count: cast by current members under their current admission, so a
    /// removed member's votes stop counting and do not come back if the address is admitted again.
    function _countVotes(Votes storage votes) internal view returns (uint256 count) {
        address[] storage voters = votes.voters;
        for (uint256 i = 0; i < voters.length; ++i) {
            if (votes.admissions[voters[i]] == _admissionOf(voters[i])) ++count;
        }
    }
}

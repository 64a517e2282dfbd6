// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IConsortiumGated} from "./interfaces/IConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title ConsortiumGated
 * @notice Role checks against the consortium, the pause switch, and quorum counting for the registries.
 */
abstract contract ConsortiumGated is IConsortiumGated {
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

    /// @dev How many of `accounts` are validators now: a removed member's votes stop counting.
    function _countCurrentValidators(address[] storage accounts) internal view returns (uint256 count) {
        for (uint256 i = 0; i < accounts.length; ++i) {
            if (_consortium.hasRole(AidProofRoles.VALIDATOR, accounts[i])) ++count;
        }
    }
}

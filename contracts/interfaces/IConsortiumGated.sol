// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IConsortium} from "./IConsortium.sol";

/**
 * @title IConsortiumGated
 * @notice Shared by the registries whose writers are authorized by the {IConsortium} roles.
 */
interface IConsortiumGated {
    /// @notice `account` lacks `role` in the consortium.
    error ConsortiumGatedUnauthorizedAccount(address account, bytes32 role);
    /// @notice The consortium is paused; writes are refused.
    error ConsortiumGatedPaused();

    /// @notice The consortium whose roles and threshold govern this contract.
    function consortium() external view returns (IConsortium);
}

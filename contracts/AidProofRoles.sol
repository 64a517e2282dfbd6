// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title AidProofRoles
/// @notice Role identifiers held in the {Consortium}'s AccessControl.
library AidProofRoles {
    /// @notice Held by every member organization's validator address, and only by them.
    bytes32 internal constant VALIDATOR = keccak256("VALIDATOR_ROLE");
    /// @notice Operator keys that anchor batches, relay claimant signatures and run jury cases.
    bytes32 internal constant GATEWAY = keccak256("GATEWAY_ROLE");
    /// @notice The jury court contract, allowed to apply jury outcomes to claims.
    bytes32 internal constant JURY_COURT = keccak256("JURY_COURT_ROLE");
}

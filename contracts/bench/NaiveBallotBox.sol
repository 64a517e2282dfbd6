// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NaiveBallotBox
/// @notice Benchmark baseline only: each encrypted ballot cast as its own transaction, its envelope in
/// the event log and its hash in storage (a later ballot replaces the juror's earlier one).
contract NaiveBallotBox {
    mapping(uint256 claimId => mapping(address juror => bytes32 envelopeHash)) private _ballots;

    /// @notice Emitted when a juror cast a ballot.
    event BallotCast(uint256 indexed claimId, address indexed juror, bytes envelope);

    /// @notice Casts (or replaces) the sender's ballot.
    function castBallot(uint256 claimId, bytes calldata envelope) external {
        _ballots[claimId][msg.sender] = keccak256(envelope);
        emit BallotCast(claimId, msg.sender, envelope);
    }
}

// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IClaimRegistry} from "./interfaces/IClaimRegistry.sol";
import {IJuryCourt} from "./interfaces/IJuryCourt.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title JuryCourt
 * @notice Anchors jury cases and applies M-of-N confirmed outcomes to the {ClaimRegistry}. Ballots
 * stay off chain (signed with this contract's EIP-712 domain); only their root and tally are anchored.
 */
contract JuryCourt is IJuryCourt, ConsortiumGated, EIP712 {
    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(uint256 claimId,address juror,uint8 choice)");

    IClaimRegistry private immutable _claims;
    mapping(uint256 claimId => JuryCase) private _cases;
    mapping(uint256 claimId => mapping(bytes32 tallyHash => Votes)) private _confirmations;
    mapping(uint256 claimId => uint256 pausedTime) private _pausedTimeAtOpen;

    constructor(
        IConsortium consortium_,
        IClaimRegistry claims_
    ) ConsortiumGated(consortium_) EIP712("AidProof JuryCourt", "1") {
        _claims = claims_;
    }

    /// @inheritdoc IJuryCourt
    function openCase(
        uint256 claimId,
        bytes32 jurorPoolRoot,
        string calldata jurorPoolCid,
        uint32 poolSize,
        uint32 rosterSize,
        uint48 votingDeadline
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        if (_cases[claimId].status != CaseStatus.None) revert JuryCourtCaseExists(claimId);
        if (_claims.claim(claimId).state != IClaimRegistry.ClaimState.Disputed)
            revert JuryCourtClaimNotDisputed(claimId);
        if (jurorPoolRoot == bytes32(0) || rosterSize == 0 || rosterSize > poolSize) {
            revert JuryCourtInvalidJury(jurorPoolRoot, poolSize, rosterSize);
        }
        if (votingDeadline <= block.timestamp) revert JuryCourtInvalidDeadline(votingDeadline);

        JuryCase storage c = _cases[claimId];
        c.status = CaseStatus.Drawing;
        c.poolSize = poolSize;
        c.rosterSize = rosterSize;
        c.votingDeadline = votingDeadline;
        c.seedBlock = uint64(block.number + 1);
        c.jurorPoolRoot = jurorPoolRoot;
        _pausedTimeAtOpen[claimId] = _pausedTime();
        emit CaseOpened(claimId, jurorPoolRoot, jurorPoolCid, poolSize, rosterSize, votingDeadline, c.seedBlock);
    }

    /// @inheritdoc IJuryCourt
    function resetSeedBlock(uint256 claimId) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Drawing);
        if (block.number <= c.seedBlock) revert JuryCourtSeedNotReady(claimId, c.seedBlock);
        if (blockhash(c.seedBlock) != bytes32(0)) revert JuryCourtSeedAvailable(claimId, c.seedBlock);
        c.seedBlock = uint64(block.number + 1);
        emit SeedBlockReset(claimId, c.seedBlock);
    }

    /// @inheritdoc IJuryCourt
    function commitRoster(
        uint256 claimId,
        bytes32 rosterRoot,
        string calldata rosterCid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Drawing);
        if (rosterRoot == bytes32(0) || bytes(rosterCid).length == 0) revert JuryCourtInvalidRoster(claimId);
        if (block.number <= c.seedBlock) revert JuryCourtSeedNotReady(claimId, c.seedBlock);
        bytes32 seed = blockhash(c.seedBlock);
        if (seed == bytes32(0)) revert JuryCourtSeedExpired(claimId, c.seedBlock);
        uint256 deadline = votingClosesAt(claimId);
        if (block.timestamp >= deadline) revert JuryCourtVotingClosed(claimId, deadline);

        c.seed = seed;
        c.rosterRoot = rosterRoot;
        c.status = CaseStatus.Voting;
        emit RosterCommitted(claimId, seed, rosterRoot, rosterCid);
    }

    /// @inheritdoc IJuryCourt
    function submitTally(uint256 claimId, Tally calldata tally) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        JuryCase storage c = _requireCase(claimId);
        if (c.status != CaseStatus.Voting && c.status != CaseStatus.Tallied) {
            revert JuryCourtInvalidStatus(claimId, c.status, CaseStatus.Voting);
        }
        uint256 deadline = votingClosesAt(claimId);
        if (block.timestamp <= deadline) revert JuryCourtVotingOpen(claimId, deadline);
        if (tally.ballotsRoot == bytes32(0) || bytes(tally.ballotsCid).length == 0)
            revert JuryCourtInvalidTally(claimId);
        uint256 votes = uint256(tally.upholdVotes) + tally.overturnVotes;
        if (votes > c.rosterSize) revert JuryCourtTallyExceedsRoster(claimId, votes, c.rosterSize);

        bytes32 hash = tallyHash(tally);
        c.tallyHash = hash;
        c.status = CaseStatus.Tallied;
        emit TallySubmitted(claimId, hash, tally.ballotsRoot, tally.ballotsCid, tally.upholdVotes, tally.overturnVotes);
    }

    /// @inheritdoc IJuryCourt
    function confirmTally(uint256 claimId, Tally calldata tally) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Tallied);
        bytes32 hash = _requireSubmitted(claimId, c, tally);
        Votes storage confirmations_ = _confirmations[claimId][hash];
        if (!_castVote(confirmations_, msg.sender)) revert JuryCourtAlreadyConfirmed(claimId, msg.sender);
        emit TallyConfirmed(claimId, msg.sender, hash);
        if (_countVotes(confirmations_) >= _threshold()) _decide(claimId, c, tally);
    }

    /// @inheritdoc IJuryCourt
    function finalizeTally(uint256 claimId, Tally calldata tally) external whenConsortiumActive {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Tallied);
        bytes32 hash = _requireSubmitted(claimId, c, tally);
        uint256 count = _countVotes(_confirmations[claimId][hash]);
        uint256 threshold = _threshold();
        if (count < threshold) revert JuryCourtQuorumNotReached(claimId, count, threshold);
        _decide(claimId, c, tally);
    }

    /// @inheritdoc IJuryCourt
    function claimRegistry() external view returns (IClaimRegistry) {
        return _claims;
    }

    /// @inheritdoc IJuryCourt
    function juryCase(uint256 claimId) external view returns (JuryCase memory) {
        return _requireCase(claimId);
    }

    /// @inheritdoc IJuryCourt
    function drawSeed(uint256 claimId) external view returns (bytes32) {
        JuryCase storage c = _requireCase(claimId);
        if (c.seed != bytes32(0)) return c.seed;
        return block.number > c.seedBlock ? blockhash(c.seedBlock) : bytes32(0);
    }

    /// @inheritdoc IJuryCourt
    function confirmations(uint256 claimId, bytes32 hash) external view returns (address[] memory) {
        return _confirmations[claimId][hash].voters;
    }

    /// @inheritdoc IJuryCourt
    function votingClosesAt(uint256 claimId) public view returns (uint256) {
        return _requireCase(claimId).votingDeadline + (_pausedTime() - _pausedTimeAtOpen[claimId]);
    }

    /// @inheritdoc IJuryCourt
    function tallyHash(Tally calldata tally) public pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    tally.ballotsRoot,
                    keccak256(bytes(tally.ballotsCid)),
                    tally.upholdVotes,
                    tally.overturnVotes
                )
            );
    }

    /// @inheritdoc IJuryCourt
    function ballotDigest(uint256 claimId, address juror, Choice choice) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, claimId, juror, uint8(choice))));
    }

    function _requireSubmitted(
        uint256 claimId,
        JuryCase storage c,
        Tally calldata tally
    ) private view returns (bytes32) {
        bytes32 hash = tallyHash(tally);
        if (hash != c.tallyHash) revert JuryCourtTallyMismatch(claimId, c.tallyHash, hash);
        return hash;
    }

    function _decide(uint256 claimId, JuryCase storage c, Tally calldata tally) private {
        bool overturned = tally.overturnVotes > tally.upholdVotes;
        c.status = CaseStatus.Decided;
        c.overturned = overturned;
        emit CaseDecided(claimId, overturned, tally.upholdVotes, tally.overturnVotes);
        _claims.applyJuryOutcome(claimId, overturned);
    }

    function _requireCase(uint256 claimId) private view returns (JuryCase storage c) {
        c = _cases[claimId];
        if (c.status == CaseStatus.None) revert JuryCourtUnknownCase(claimId);
    }

    function _requireStatus(uint256 claimId, CaseStatus expected) private view returns (JuryCase storage c) {
        c = _requireCase(claimId);
        if (c.status != expected) revert JuryCourtInvalidStatus(claimId, c.status, expected);
    }
}

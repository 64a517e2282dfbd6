// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IClaimRegistry} from "./IClaimRegistry.sol";

/**
 * @title IJuryCourt
 * @notice Jury cases for disputed claims. A gateway opens a case over a published juror pool; the draw
 * seed is the hash of the block after opening, which the gateway cannot choose; the roster drawn from
 * pool and seed is committed before voting; after the deadline the gateway submits the tally of the
 * jurors' EIP-712 ballots, validators recount it from IPFS and confirm; M confirmations decide the claim.
 *
 * Roster rule (anyone recomputes it): for i = 0, 1, ... take
 * `uint256(keccak256(abi.encode(seed, i))) % poolSize` as a pool index, skip indexes drawn already,
 * until `rosterSize` distinct jurors are drawn.
 */
interface IJuryCourt {
    enum CaseStatus {
        None,
        Drawing,
        Voting,
        Tallied,
        Decided
    }

    /// @notice Juror choices in a signed ballot.
    enum Choice {
        Uphold,
        Overturn
    }

    /// @notice A jury case, keyed by the disputed claim's id.
    struct JuryCase {
        CaseStatus status;
        uint32 poolSize;
        uint32 rosterSize;
        uint48 votingDeadline;
        uint64 seedBlock;
        bool overturned;
        bytes32 jurorPoolRoot;
        bytes32 seed;
        bytes32 rosterRoot;
        bytes32 tallyHash;
    }

    /// @notice A tally of ballots: their Merkle root, the manifest CID listing them, and counts per choice.
    struct Tally {
        bytes32 ballotsRoot;
        string ballotsCid;
        uint32 upholdVotes;
        uint32 overturnVotes;
    }

    /// @notice Emitted when a gateway opened a case; the seed will be the hash of block `seedBlock`.
    event CaseOpened(
        uint256 indexed claimId,
        bytes32 jurorPoolRoot,
        string jurorPoolCid,
        uint32 poolSize,
        uint32 rosterSize,
        uint48 votingDeadline,
        uint64 seedBlock
    );
    /// @notice Emitted when the seed block aged out of the EVM's 256-block window unrecorded.
    event SeedBlockReset(uint256 indexed claimId, uint64 seedBlock);
    /// @notice Emitted when a gateway committed the drawn roster; voting is open from here.
    event RosterCommitted(uint256 indexed claimId, bytes32 seed, bytes32 rosterRoot, string rosterCid);
    /// @notice Emitted when a gateway submitted (or corrected) the tally.
    event TallySubmitted(
        uint256 indexed claimId,
        bytes32 indexed tallyHash,
        bytes32 ballotsRoot,
        string ballotsCid,
        uint32 upholdVotes,
        uint32 overturnVotes
    );
    /// @notice Emitted when a validator confirmed the tally after recounting.
    event TallyConfirmed(uint256 indexed claimId, address indexed validator, bytes32 indexed tallyHash);
    /// @notice Emitted when M confirmations decided the case and the outcome was applied to the claim.
    event CaseDecided(uint256 indexed claimId, bool overturned, uint32 upholdVotes, uint32 overturnVotes);

    /// @notice A case for this claim exists already.
    error JuryCourtCaseExists(uint256 claimId);
    /// @notice The claim is not Disputed.
    error JuryCourtClaimNotDisputed(uint256 claimId);
    /// @notice No case for this claim.
    error JuryCourtUnknownCase(uint256 claimId);
    /// @notice The case is in `status`, not `expected`.
    error JuryCourtInvalidStatus(uint256 claimId, CaseStatus status, CaseStatus expected);
    /// @notice Pool and roster need 0 < rosterSize <= poolSize and a non-zero pool root.
    error JuryCourtInvalidJury(bytes32 jurorPoolRoot, uint32 poolSize, uint32 rosterSize);
    /// @notice The voting deadline must lie in the future.
    error JuryCourtInvalidDeadline(uint48 votingDeadline);
    /// @notice The seed block has not been mined yet.
    error JuryCourtSeedNotReady(uint256 claimId, uint64 seedBlock);
    /// @notice The seed block aged out; call {resetSeedBlock}.
    error JuryCourtSeedExpired(uint256 claimId, uint64 seedBlock);
    /// @notice The seed block is still readable; no reset allowed.
    error JuryCourtSeedAvailable(uint256 claimId, uint64 seedBlock);
    /// @notice Voting is open until `votingDeadline`.
    error JuryCourtVotingOpen(uint256 claimId, uint256 votingDeadline);
    /// @notice Voting closed at `votingDeadline`.
    error JuryCourtVotingClosed(uint256 claimId, uint256 votingDeadline);
    /// @notice More votes than jurors on the roster.
    error JuryCourtTallyExceedsRoster(uint256 claimId, uint256 votes, uint32 rosterSize);
    /// @notice The roster root must be non-zero and the roster CID non-empty.
    error JuryCourtInvalidRoster(uint256 claimId);
    /// @notice The tally needs a non-zero ballots root and a ballots CID.
    error JuryCourtInvalidTally(uint256 claimId);
    /// @notice The confirmed tally differs from the submitted one.
    error JuryCourtTallyMismatch(uint256 claimId, bytes32 submitted, bytes32 confirmed);
    /// @notice `validator` confirmed this tally already.
    error JuryCourtAlreadyConfirmed(uint256 claimId, address validator);
    /// @notice Fewer than M current validators confirmed this tally.
    error JuryCourtQuorumNotReached(uint256 claimId, uint256 confirmations, uint256 threshold);

    /// @notice Opens the case of a Disputed claim. GATEWAY only.
    function openCase(
        uint256 claimId,
        bytes32 jurorPoolRoot,
        string calldata jurorPoolCid,
        uint32 poolSize,
        uint32 rosterSize,
        uint48 votingDeadline
    ) external;

    /// @notice Moves the seed block to the next block when the old one aged out before the roster was
    /// committed. GATEWAY only.
    function resetSeedBlock(uint256 claimId) external;

    /// @notice Records the seed and the root of the roster drawn from it; voting opens. GATEWAY only.
    function commitRoster(uint256 claimId, bytes32 rosterRoot, string calldata rosterCid) external;

    /// @notice Submits, or corrects before it is decided, the tally after the deadline. GATEWAY only.
    function submitTally(uint256 claimId, Tally calldata tally) external;

    /// @notice Confirms the submitted tally after recounting it; must equal it exactly. VALIDATOR only, once
    /// per tally and admission; a confirmation counts only while its giver is a member under that admission.
    function confirmTally(uint256 claimId, Tally calldata tally) external;

    /// @notice Applies a submitted tally that M current validators confirmed but that did not decide the
    /// case when confirmed (the threshold was lowered later). Anyone may call it.
    function finalizeTally(uint256 claimId, Tally calldata tally) external;

    /// @notice The claim registry whose disputed claims this court decides.
    function claimRegistry() external view returns (IClaimRegistry);

    /// @notice The case; reverts with {JuryCourtUnknownCase} otherwise.
    function juryCase(uint256 claimId) external view returns (JuryCase memory);

    /// @notice The draw seed: recorded once the roster is committed, else the seed block's hash
    /// (zero while the block is not mined or after it aged out).
    function drawSeed(uint256 claimId) external view returns (bytes32);

    /// @notice Validators that confirmed the tally with `tallyHash` (under any admission).
    function confirmations(uint256 claimId, bytes32 tallyHash) external view returns (address[] memory);

    /// @notice The case's voting deadline, extended by the time the consortium spent paused since it opened.
    function votingClosesAt(uint256 claimId) external view returns (uint256);

    /// @notice The hash a tally is identified by.
    function tallyHash(Tally calldata tally) external pure returns (bytes32);

    /// @notice EIP-712 digest of a juror's `Ballot(uint256 claimId,address juror,uint8 choice)`.
    function ballotDigest(uint256 claimId, address juror, Choice choice) external view returns (bytes32);
}

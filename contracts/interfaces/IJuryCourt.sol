// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IClaimRegistry} from "./IClaimRegistry.sol";
import {IConsortium} from "./IConsortium.sol";

/**
 * @title IJuryCourt
 * @notice The member jury for disputed claims.
 *
 * Pool: the gateway proposes a juror pool (a manifest in IPFS, its Merkle root and size); validators
 * check it (no repeated voter or member, every credential signed by a GATEWAY holder) and M of them
 * confirm it. A case draws from the latest confirmed pool.
 *
 * Draw: anyone opens the case of a Disputed claim; the seed is the hash of the next block, mixed with
 * the claim and round, recorded by anyone calling {draw}. If nobody recorded it within the EVM's
 * 256-block window, {draw} moves the seed block forward: a re-draw by rule, callable by anyone, so no
 * single party decides when to re-roll. Pool entry `i` is on the roster iff
 * `uint256(keccak256(abi.encode(seed, i))) < (type(uint256).max / poolSize) * rosterSize` and its
 * credential predates the case by the qualification time: each entry is drawn independently, so a
 * roster check is one hash ({isJuror}); the roster size is rosterSize in expectation.
 *
 * Secrecy: each validator publishes a ballot key for the case; a juror splits a one-time key M-of-N
 * over those keys and encrypts the choice with it. After the ballots are sealed on chain, the
 * validators reveal their keys; the first M revealed open every ballot. Until then no one, the gateway
 * included, can read a choice.
 *
 * Close: after the deadline the gateway seals the ballot set (root, manifest, count); after the keys
 * are revealed it submits the tally; validators recount from the manifest and confirm; M confirmations
 * decide. A tally is locked once confirmed by anyone. A case that stalls can be restarted by anyone.
 */
interface IJuryCourt {
    enum PoolStatus {
        None,
        Proposed,
        Confirmed
    }

    enum CaseStatus {
        None,
        Drawing,
        Voting,
        Sealed,
        Tallied,
        Decided,
        Inconclusive
    }

    /// @notice Juror choices, inside the encrypted ballot.
    enum Choice {
        Uphold,
        Overturn
    }

    /// @notice A juror pool as proposed.
    struct JurorPool {
        PoolStatus status;
        uint32 size;
        uint48 proposedAt;
        bytes32 root;
    }

    /// @notice A jury case, keyed by the disputed claim's id; `round` counts restarts from 1.
    struct JuryCase {
        CaseStatus status;
        uint32 round;
        uint32 poolId;
        uint32 poolSize;
        uint32 keyThreshold;
        uint32 keyCount;
        uint48 openedAt;
        uint48 votingDeadline;
        uint64 seedBlock;
        uint32 ballotCount;
        uint32 upholdVotes;
        uint32 overturnVotes;
        bool overturned;
        bytes32 poolRoot;
        bytes32 seed;
        bytes32 ballotsRoot;
        bytes32 tallyHash;
    }

    /// @notice Emitted when a gateway proposed juror pool `poolId`.
    event PoolProposed(uint32 indexed poolId, bytes32 root, uint32 size, string cid);
    /// @notice Emitted when a validator confirmed a pool after checking it.
    event PoolEndorsed(uint32 indexed poolId, address indexed validator);
    /// @notice Emitted when M validators confirmed the pool: cases opened from now draw from it.
    event PoolConfirmed(uint32 indexed poolId);
    /// @notice Emitted when a case (round) opened; its seed is the hash of block `seedBlock`.
    event CaseOpened(uint256 indexed claimId, uint32 round, uint32 poolId, uint64 seedBlock);
    /// @notice Emitted when the seed block aged out unrecorded and the draw moved to a later block.
    event SeedBlockReset(uint256 indexed claimId, uint32 round, uint64 seedBlock);
    /// @notice Emitted when the seed was recorded: the roster is fixed and voting is open until `votingDeadline`.
    event JuryDrawn(uint256 indexed claimId, uint32 round, bytes32 seed, uint48 votingDeadline);
    /// @notice Emitted when a validator published its ballot encryption key (X25519) for a case round.
    event BallotKeyPublished(uint256 indexed claimId, uint32 round, address indexed validator, bytes32 publicKey);
    /// @notice Emitted when the gateway sealed the ballot set after the deadline.
    event BallotsSealed(uint256 indexed claimId, uint32 round, bytes32 ballotsRoot, string ballotsCid, uint32 count);
    /// @notice Emitted when a validator revealed its ballot secret key after the ballots were sealed.
    event BallotKeyRevealed(uint256 indexed claimId, uint32 round, address indexed validator, bytes32 secretKey);
    /// @notice Emitted when a gateway submitted (or, before any confirmation, corrected) the tally.
    event TallySubmitted(
        uint256 indexed claimId,
        uint32 round,
        bytes32 indexed tallyHash,
        uint32 upholdVotes,
        uint32 overturnVotes
    );
    /// @notice Emitted when a validator confirmed the tally after recounting.
    event TallyConfirmed(uint256 indexed claimId, address indexed validator, bytes32 indexed tallyHash);
    /// @notice Emitted when M confirmations decided the case and the outcome was applied to the claim.
    event CaseDecided(uint256 indexed claimId, bool overturned, uint32 upholdVotes, uint32 overturnVotes);
    /// @notice Emitted when a confirmed tally had fewer valid votes than the rules need: the case can restart.
    event CaseInconclusive(uint256 indexed claimId, uint32 round, uint32 upholdVotes, uint32 overturnVotes);
    /// @notice Emitted when anyone restarted a stalled or inconclusive case as round `round`.
    event CaseRestarted(uint256 indexed claimId, uint32 round, CaseStatus stalledIn);

    /// @notice The pool needs a non-zero root, a size and a manifest CID.
    error JuryCourtInvalidPool(bytes32 root, uint32 size);
    /// @notice No pool `poolId` awaiting confirmation.
    error JuryCourtPoolNotProposed(uint32 poolId);
    /// @notice `validator` confirmed this pool already.
    error JuryCourtPoolAlreadyEndorsed(uint32 poolId, address validator);
    /// @notice No confirmed juror pool yet.
    error JuryCourtNoPool();
    /// @notice The latest confirmed pool is smaller than the rules' minimum.
    error JuryCourtPoolTooSmall(uint32 poolId, uint32 size, uint32 minPoolSize);
    /// @notice A case for this claim exists already.
    error JuryCourtCaseExists(uint256 claimId);
    /// @notice The claim is not Disputed.
    error JuryCourtClaimNotDisputed(uint256 claimId);
    /// @notice No case for this claim.
    error JuryCourtUnknownCase(uint256 claimId);
    /// @notice The case is in `status`, not `expected`.
    error JuryCourtInvalidStatus(uint256 claimId, CaseStatus status, CaseStatus expected);
    /// @notice The seed block has not been mined yet.
    error JuryCourtSeedNotReady(uint256 claimId, uint64 seedBlock);
    /// @notice Voting is open until `votingDeadline`.
    error JuryCourtVotingOpen(uint256 claimId, uint256 votingDeadline);
    /// @notice Fewer than `needed` validators published ballot keys: ballots could never be opened.
    error JuryCourtBallotKeysMissing(uint256 claimId, uint256 published, uint256 needed);
    /// @notice A ballot key must be non-zero.
    error JuryCourtInvalidBallotKey(uint256 claimId);
    /// @notice `validator` published its ballot key for this round already.
    error JuryCourtBallotKeyExists(uint256 claimId, address validator);
    /// @notice `validator` published no ballot key for this round, or revealed it already.
    error JuryCourtNoBallotKey(uint256 claimId, address validator);
    /// @notice The ballot set needs a non-zero root (when it has ballots) and a manifest CID.
    error JuryCourtInvalidBallots(uint256 claimId);
    /// @notice More votes than sealed ballots.
    error JuryCourtTallyExceedsBallots(uint256 claimId, uint256 votes, uint32 ballotCount);
    /// @notice The tally was confirmed by a validator already and can no longer change.
    error JuryCourtTallyLocked(uint256 claimId, bytes32 tallyHash);
    /// @notice The confirmed tally differs from the submitted one.
    error JuryCourtTallyMismatch(uint256 claimId, bytes32 submitted, bytes32 confirmed);
    /// @notice `validator` confirmed this tally already.
    error JuryCourtAlreadyConfirmed(uint256 claimId, address validator);
    /// @notice Fewer than M current validators confirmed this tally.
    error JuryCourtQuorumNotReached(uint256 claimId, uint256 confirmations, uint256 threshold);
    /// @notice The case is neither inconclusive nor stalled until `restartableAt`.
    error JuryCourtNotStalled(uint256 claimId, uint256 restartableAt);

    /// @notice Proposes a juror pool. GATEWAY only.
    function proposePool(bytes32 root, uint32 size, string calldata cid) external returns (uint32 poolId);

    /// @notice Confirms a proposed pool after checking its manifest. VALIDATOR only, once per admission.
    function confirmPool(uint32 poolId) external;

    /// @notice Opens the case of a Disputed claim over the latest confirmed pool. Anyone.
    function openCase(uint256 claimId) external;

    /// @notice Records the seed once its block is mined and at least M ballot keys are published,
    /// fixing the roster and the key set and opening the vote; or,
    /// if the seed block aged out unrecorded, moves it to the next block. Anyone.
    function draw(uint256 claimId) external;

    /// @notice Publishes this validator's X25519 ballot key for the case's round while it is drawing:
    /// the draw freezes the key set jurors encrypt to. VALIDATOR only.
    function publishBallotKey(uint256 claimId, bytes32 publicKey) external;

    /// @notice Seals the ballot set after the deadline. GATEWAY only.
    function sealBallots(uint256 claimId, bytes32 ballotsRoot, string calldata ballotsCid, uint32 count) external;

    /// @notice Reveals this validator's ballot secret key once the ballots are sealed. VALIDATOR only.
    function revealBallotKey(uint256 claimId, bytes32 secretKey) external;

    /// @notice Submits the tally, or corrects it while nobody has confirmed it. GATEWAY only.
    function submitTally(uint256 claimId, uint32 upholdVotes, uint32 overturnVotes) external;

    /// @notice Confirms the submitted tally after recounting it. VALIDATOR only, once per admission.
    function confirmTally(uint256 claimId, bytes32 tallyHash) external;

    /// @notice Applies a tally M current validators confirmed that did not decide when confirmed. Anyone.
    function finalizeTally(uint256 claimId) external;

    /// @notice Restarts an inconclusive case, or one not decided `stallSeconds` after its deadline
    /// (or after opening, while drawing), as a new round over the latest confirmed pool. Anyone.
    function restartCase(uint256 claimId) external;

    /// @notice The claim registry whose disputed claims this court decides.
    function claimRegistry() external view returns (IClaimRegistry);

    /// @notice Pool `poolId`; status None if unknown.
    function pool(uint32 poolId) external view returns (JurorPool memory);

    /// @notice The latest confirmed pool's id, 0 if none.
    function latestPool() external view returns (uint32);

    /// @notice The case; reverts with {JuryCourtUnknownCase} otherwise.
    function juryCase(uint256 claimId) external view returns (JuryCase memory);

    /// @notice The jury rules the case's current round was opened under.
    function caseRules(uint256 claimId) external view returns (IConsortium.JuryRules memory);

    /// @notice `validator`'s ballot key for the case's current round; zero if none.
    function ballotKey(uint256 claimId, address validator) external view returns (bytes32);

    /// @notice The current round's ballot keys in publication order (share i + 1 of every ballot is for key i).
    function ballotKeys(uint256 claimId) external view returns (address[] memory validators, bytes32[] memory keys);

    /// @notice The current round's revealed secret keys in reveal order, with their publication index (from 1).
    function revealedKeys(uint256 claimId) external view returns (uint32[] memory indexes, bytes32[] memory secretKeys);

    /// @notice Whether pool entry `(poolIndex, voter, memberHash, qualifiedAt)`, proven against the
    /// case's pool root, is on the drawn roster of the case's current round.
    function isJuror(
        uint256 claimId,
        uint32 poolIndex,
        address voter,
        bytes32 memberHash,
        uint48 qualifiedAt,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice Validators that confirmed the tally with `tallyHash` (under any admission).
    function confirmations(uint256 claimId, bytes32 tallyHash) external view returns (address[] memory);

    /// @notice The voting deadline, extended by the time the consortium spent paused since the draw.
    function votingClosesAt(uint256 claimId) external view returns (uint256);

    /// @notice When a case not yet decided may be restarted.
    function restartableAt(uint256 claimId) external view returns (uint256);

    /// @notice EIP-712 digest of `Ballot(uint256 claimId,uint32 round,address juror,uint32 sequence,bytes32 envelopeHash)`.
    function ballotDigest(
        uint256 claimId,
        uint32 round,
        address juror,
        uint32 sequence,
        bytes32 envelopeHash
    ) external view returns (bytes32);

    /// @notice EIP-712 digest of `JurorCredential(address voter,bytes32 memberHash,uint48 qualifiedAt)`,
    /// the platform's statement that a member holding `voter` qualified as a juror at `qualifiedAt`.
    function credentialDigest(address voter, bytes32 memberHash, uint48 qualifiedAt) external view returns (bytes32);
}

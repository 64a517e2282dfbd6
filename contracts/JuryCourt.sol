// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {IClaimRegistry} from "./interfaces/IClaimRegistry.sol";
import {IJuryCourt} from "./interfaces/IJuryCourt.sol";
import {ConsortiumGated} from "./ConsortiumGated.sol";
import {AidProofRoles} from "./AidProofRoles.sol";

/**
 * @title JuryCourt
 * @notice Juror pools, unsteerable draws, sealed ballot sets and M-of-N confirmed tallies for disputed
 * claims. Ballots stay off chain, encrypted and signed with this contract's EIP-712 domain.
 */
contract JuryCourt is IJuryCourt, ConsortiumGated, EIP712 {
    bytes32 public constant BALLOT_TYPEHASH = keccak256(
        "Ballot(uint256 claimId,uint32 round,address juror,uint32 sequence,bytes32 envelopeHash)"
    );
    bytes32 public constant CREDENTIAL_TYPEHASH = keccak256(
        "JurorCredential(address voter,bytes32 memberHash,uint48 qualifiedAt)"
    );

    IClaimRegistry private immutable _claims;
    uint32 private _poolCount;
    uint32 private _latestPool;
    mapping(uint32 poolId => JurorPool) private _pools;
    mapping(uint32 poolId => Votes) private _poolEndorsements;
    mapping(uint256 claimId => JuryCase) private _cases;
    mapping(uint256 claimId => IConsortium.JuryRules) private _rules;
    mapping(uint256 claimId => mapping(uint32 round => mapping(address validator => bytes32 publicKey)))
        private _ballotKeys;
    mapping(uint256 claimId => mapping(uint32 round => mapping(address validator => bool))) private _revealed;
    mapping(uint256 claimId => mapping(uint32 round => address[] validators)) private _keyHolders;
    mapping(uint256 claimId => mapping(uint32 round => uint32[] indexes)) private _revealedIndexes;
    mapping(uint256 claimId => mapping(uint32 round => bytes32[] secretKeys)) private _revealedSecrets;
    mapping(uint256 claimId => mapping(bytes32 tallyHash => Votes)) private _confirmations;
    mapping(uint256 claimId => uint256 pausedTime) private _pausedTimeAtDraw;

    constructor(
        IConsortium consortium_,
        IClaimRegistry claims_
    ) ConsortiumGated(consortium_) EIP712("AidProof JuryCourt", "1") {
        _claims = claims_;
    }

    /// @inheritdoc IJuryCourt
    function proposePool(
        bytes32 root,
        uint32 size,
        string calldata cid
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) returns (uint32 poolId) {
        if (root == bytes32(0) || size == 0 || bytes(cid).length == 0) revert JuryCourtInvalidPool(root, size);
        poolId = ++_poolCount;
        _pools[poolId] = JurorPool({
            status: PoolStatus.Proposed,
            size: size,
            proposedAt: uint48(block.timestamp),
            root: root
        });
        emit PoolProposed(poolId, root, size, cid);
    }

    /// @inheritdoc IJuryCourt
    function confirmPool(uint32 poolId) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        JurorPool storage p = _pools[poolId];
        if (p.status != PoolStatus.Proposed) revert JuryCourtPoolNotProposed(poolId);
        Votes storage endorsements = _poolEndorsements[poolId];
        if (!_castVote(endorsements, msg.sender)) revert JuryCourtPoolAlreadyEndorsed(poolId, msg.sender);
        emit PoolEndorsed(poolId, msg.sender);
        if (_countVotes(endorsements) >= _threshold()) {
            p.status = PoolStatus.Confirmed;
            if (poolId > _latestPool) _latestPool = poolId;
            emit PoolConfirmed(poolId);
        }
    }

    /// @inheritdoc IJuryCourt
    function openCase(uint256 claimId) external whenConsortiumActive {
        if (_cases[claimId].status != CaseStatus.None) revert JuryCourtCaseExists(claimId);
        _open(claimId, 1);
    }

    /// @inheritdoc IJuryCourt
    function draw(uint256 claimId) external whenConsortiumActive {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Drawing);
        if (block.number <= c.seedBlock) revert JuryCourtSeedNotReady(claimId, c.seedBlock);
        bytes32 blockHash = blockhash(c.seedBlock);
        if (blockHash == bytes32(0)) {
            c.seedBlock = uint64(block.number + 1);
            emit SeedBlockReset(claimId, c.round, c.seedBlock);
            return;
        }
        uint256 published = _keyHolders[claimId][c.round].length;
        if (published < c.keyThreshold) revert JuryCourtBallotKeysMissing(claimId, published, c.keyThreshold);
        c.keyCount = uint32(published);
        c.seed = keccak256(abi.encode(blockHash, claimId, c.round));
        c.votingDeadline = uint48(block.timestamp + _rules[claimId].votingSeconds);
        c.status = CaseStatus.Voting;
        _pausedTimeAtDraw[claimId] = _pausedTime();
        emit JuryDrawn(claimId, c.round, c.seed, c.votingDeadline);
    }

    /// @inheritdoc IJuryCourt
    function publishBallotKey(uint256 claimId, bytes32 publicKey) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Drawing);
        if (publicKey == bytes32(0)) revert JuryCourtInvalidBallotKey(claimId);
        mapping(address validator => bytes32 publicKey) storage keys = _ballotKeys[claimId][c.round];
        if (keys[msg.sender] != bytes32(0)) revert JuryCourtBallotKeyExists(claimId, msg.sender);
        keys[msg.sender] = publicKey;
        _keyHolders[claimId][c.round].push(msg.sender);
        emit BallotKeyPublished(claimId, c.round, msg.sender, publicKey);
    }

    /// @inheritdoc IJuryCourt
    function sealBallots(
        uint256 claimId,
        bytes32 ballotsRoot,
        string calldata ballotsCid,
        uint32 count
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Voting);
        uint256 deadline = votingClosesAt(claimId);
        if (block.timestamp <= deadline) revert JuryCourtVotingOpen(claimId, deadline);
        if (bytes(ballotsCid).length == 0 || (count != 0 && ballotsRoot == bytes32(0))) {
            revert JuryCourtInvalidBallots(claimId);
        }
        c.ballotsRoot = ballotsRoot;
        c.ballotCount = count;
        c.status = CaseStatus.Sealed;
        emit BallotsSealed(claimId, c.round, ballotsRoot, ballotsCid, count);
    }

    /// @inheritdoc IJuryCourt
    function revealBallotKey(uint256 claimId, bytes32 secretKey) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        JuryCase storage c = _requireCase(claimId);
        if (c.status != CaseStatus.Sealed && c.status != CaseStatus.Tallied) {
            revert JuryCourtInvalidStatus(claimId, c.status, CaseStatus.Sealed);
        }
        uint32 index = _keyIndex(claimId, c.round, msg.sender);
        if (index == 0 || index > c.keyCount || _revealed[claimId][c.round][msg.sender]) {
            revert JuryCourtNoBallotKey(claimId, msg.sender);
        }
        _revealed[claimId][c.round][msg.sender] = true;
        _revealedIndexes[claimId][c.round].push(index);
        _revealedSecrets[claimId][c.round].push(secretKey);
        emit BallotKeyRevealed(claimId, c.round, msg.sender, secretKey);
    }

    /// @inheritdoc IJuryCourt
    function submitTally(
        uint256 claimId,
        uint32 upholdVotes,
        uint32 overturnVotes
    ) external onlyConsortiumRole(AidProofRoles.GATEWAY) {
        JuryCase storage c = _requireCase(claimId);
        if (c.status == CaseStatus.Tallied) {
            if (_confirmations[claimId][c.tallyHash].voters.length != 0)
                revert JuryCourtTallyLocked(claimId, c.tallyHash);
        } else if (c.status != CaseStatus.Sealed) {
            revert JuryCourtInvalidStatus(claimId, c.status, CaseStatus.Sealed);
        }
        uint256 votes = uint256(upholdVotes) + overturnVotes;
        if (votes > c.ballotCount) revert JuryCourtTallyExceedsBallots(claimId, votes, c.ballotCount);
        bytes32 hash = keccak256(abi.encode(claimId, c.round, c.ballotsRoot, upholdVotes, overturnVotes));
        c.upholdVotes = upholdVotes;
        c.overturnVotes = overturnVotes;
        c.tallyHash = hash;
        c.status = CaseStatus.Tallied;
        emit TallySubmitted(claimId, c.round, hash, upholdVotes, overturnVotes);
    }

    /// @inheritdoc IJuryCourt
    function confirmTally(uint256 claimId, bytes32 hash) external onlyConsortiumRole(AidProofRoles.VALIDATOR) {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Tallied);
        if (hash != c.tallyHash) revert JuryCourtTallyMismatch(claimId, c.tallyHash, hash);
        Votes storage confirmations_ = _confirmations[claimId][hash];
        if (!_castVote(confirmations_, msg.sender)) revert JuryCourtAlreadyConfirmed(claimId, msg.sender);
        emit TallyConfirmed(claimId, msg.sender, hash);
        if (_countVotes(confirmations_) >= _threshold()) _decide(claimId, c);
    }

    /// @inheritdoc IJuryCourt
    function finalizeTally(uint256 claimId) external whenConsortiumActive {
        JuryCase storage c = _requireStatus(claimId, CaseStatus.Tallied);
        uint256 count = _countVotes(_confirmations[claimId][c.tallyHash]);
        uint256 threshold = _threshold();
        if (count < threshold) revert JuryCourtQuorumNotReached(claimId, count, threshold);
        _decide(claimId, c);
    }

    /// @inheritdoc IJuryCourt
    function restartCase(uint256 claimId) external whenConsortiumActive {
        JuryCase storage c = _requireCase(claimId);
        CaseStatus stalledIn = c.status;
        if (stalledIn == CaseStatus.Decided) revert JuryCourtInvalidStatus(claimId, stalledIn, CaseStatus.Voting);
        uint256 restartable = restartableAt(claimId);
        if (block.timestamp < restartable) revert JuryCourtNotStalled(claimId, restartable);
        uint32 round = c.round + 1;
        _open(claimId, round);
        emit CaseRestarted(claimId, round, stalledIn);
    }

    /// @inheritdoc IJuryCourt
    function claimRegistry() external view returns (IClaimRegistry) {
        return _claims;
    }

    /// @inheritdoc IJuryCourt
    function pool(uint32 poolId) external view returns (JurorPool memory) {
        return _pools[poolId];
    }

    /// @inheritdoc IJuryCourt
    function latestPool() external view returns (uint32) {
        return _latestPool;
    }

    /// @inheritdoc IJuryCourt
    function juryCase(uint256 claimId) external view returns (JuryCase memory) {
        return _requireCase(claimId);
    }

    /// @inheritdoc IJuryCourt
    function caseRules(uint256 claimId) external view returns (IConsortium.JuryRules memory) {
        _requireCase(claimId);
        return _rules[claimId];
    }

    /// @inheritdoc IJuryCourt
    function ballotKey(uint256 claimId, address validator) external view returns (bytes32) {
        return _ballotKeys[claimId][_requireCase(claimId).round][validator];
    }

    /// @inheritdoc IJuryCourt
    function ballotKeys(uint256 claimId) external view returns (address[] memory validators, bytes32[] memory keys) {
        uint32 round = _requireCase(claimId).round;
        validators = _keyHolders[claimId][round];
        keys = new bytes32[](validators.length);
        for (uint256 i = 0; i < validators.length; ++i) keys[i] = _ballotKeys[claimId][round][validators[i]];
    }

    /// @inheritdoc IJuryCourt
    function revealedKeys(
        uint256 claimId
    ) external view returns (uint32[] memory indexes, bytes32[] memory secretKeys) {
        uint32 round = _requireCase(claimId).round;
        return (_revealedIndexes[claimId][round], _revealedSecrets[claimId][round]);
    }

    /// @inheritdoc IJuryCourt
    function isJuror(
        uint256 claimId,
        uint32 poolIndex,
        address voter,
        bytes32 memberHash,
        uint48 qualifiedAt,
        bytes32[] calldata proof
    ) external view returns (bool) {
        JuryCase storage c = _requireCase(claimId);
        if (c.seed == bytes32(0)) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(poolIndex, voter, memberHash, qualifiedAt))));
        if (!MerkleProof.verifyCalldata(proof, c.poolRoot, leaf)) return false;
        IConsortium.JuryRules storage rules = _rules[claimId];
        if (uint256(qualifiedAt) + rules.qualificationSeconds > c.openedAt) return false;
        return uint256(keccak256(abi.encode(c.seed, poolIndex))) < (type(uint256).max / c.poolSize) * rules.rosterSize;
    }

    /// @inheritdoc IJuryCourt
    function confirmations(uint256 claimId, bytes32 hash) external view returns (address[] memory) {
        return _confirmations[claimId][hash].voters;
    }

    /// @inheritdoc IJuryCourt
    function votingClosesAt(uint256 claimId) public view returns (uint256) {
        JuryCase storage c = _requireCase(claimId);
        if (c.votingDeadline == 0) return 0;
        return c.votingDeadline + (_pausedTime() - _pausedTimeAtDraw[claimId]);
    }

    /// @inheritdoc IJuryCourt
    function restartableAt(uint256 claimId) public view returns (uint256) {
        JuryCase storage c = _requireCase(claimId);
        if (c.status == CaseStatus.Inconclusive) return 0;
        IConsortium.JuryRules storage rules = _rules[claimId];
        uint256 from =
            c.status == CaseStatus.Drawing ? uint256(c.openedAt) + rules.votingSeconds : votingClosesAt(claimId);
        return from + rules.stallSeconds;
    }

    /// @inheritdoc IJuryCourt
    function ballotDigest(
        uint256 claimId,
        uint32 round,
        address juror,
        uint32 sequence,
        bytes32 envelopeHash
    ) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, claimId, round, juror, sequence, envelopeHash)));
    }

    /// @inheritdoc IJuryCourt
    function credentialDigest(address voter, bytes32 memberHash, uint48 qualifiedAt) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CREDENTIAL_TYPEHASH, voter, memberHash, qualifiedAt)));
    }

    function _open(uint256 claimId, uint32 round) private {
        if (_claims.claim(claimId).state != IClaimRegistry.ClaimState.Disputed)
            revert JuryCourtClaimNotDisputed(claimId);
        uint32 poolId = _latestPool;
        if (poolId == 0) revert JuryCourtNoPool();
        JurorPool storage p = _pools[poolId];
        IConsortium.JuryRules memory rules = consortium().juryRules();
        if (p.size < rules.minPoolSize) revert JuryCourtPoolTooSmall(poolId, p.size, rules.minPoolSize);
        _rules[claimId] = rules;
        _cases[claimId] = JuryCase({
            status: CaseStatus.Drawing,
            round: round,
            poolId: poolId,
            poolSize: p.size,
            keyThreshold: uint32(_threshold()),
            keyCount: 0,
            openedAt: uint48(block.timestamp),
            votingDeadline: 0,
            seedBlock: uint64(block.number + 1),
            ballotCount: 0,
            upholdVotes: 0,
            overturnVotes: 0,
            overturned: false,
            poolRoot: p.root,
            seed: bytes32(0),
            ballotsRoot: bytes32(0),
            tallyHash: bytes32(0)
        });
        emit CaseOpened(claimId, round, poolId, uint64(block.number + 1));
    }

    function _decide(uint256 claimId, JuryCase storage c) private {
        uint256 valid = uint256(c.upholdVotes) + c.overturnVotes;
        IConsortium.JuryRules storage rules = _rules[claimId];
        if (valid < rules.minValidVotes) {
            c.status = CaseStatus.Inconclusive;
            emit CaseInconclusive(claimId, c.round, c.upholdVotes, c.overturnVotes);
            return;
        }
        bool overturned = uint256(c.overturnVotes) * 10_000 > valid * rules.majorityBps;
        c.status = CaseStatus.Decided;
        c.overturned = overturned;
        emit CaseDecided(claimId, overturned, c.upholdVotes, c.overturnVotes);
        _claims.applyJuryOutcome(claimId, overturned);
    }

    /// @dev 1-based publication index of `validator`'s key in this round, 0 if it published none.
    function _keyIndex(uint256 claimId, uint32 round, address validator) private view returns (uint32) {
        address[] storage holders = _keyHolders[claimId][round];
        for (uint256 i = 0; i < holders.length; ++i) if (holders[i] == validator) return uint32(i + 1);
        return 0;
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

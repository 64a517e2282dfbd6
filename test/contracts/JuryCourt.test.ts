import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, id, verifyTypedData } from "ethers";
import { ethers } from "hardhat";
import { deployAidProofFixture, encryptionKeyFor } from "../fixtures";
import { Action, govern, proposalParams, removeAndReadmit } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { BALLOT_TYPES, readDomain } from "../../api/src/chain/typedData";
import { buildPoolTree, buildRosterTree, drawRoster } from "../../api/src/jury/roster";

const CaseStatus = { None: 0, Drawing: 1, Voting: 2, Tallied: 3, Decided: 4 };
const ClaimState = { Approved: 3, Rejected: 4, Disputed: 5 };
const ROOT = id("evidence-set");
const REASON = id("reason document");
const POOL_CID = "bafkreipool";
const ROSTER_CID = "bafkreiroster";

async function disputedFixture() {
  const f = await deployAidProofFixture();
  const { claimRegistry, claimant, validators } = f;
  await claimRegistry.connect(claimant).fileClaim(1, 100_000, "bafkreimeta");
  await claimRegistry.connect(validators[0]).startReview(1);
  for (const v of validators.slice(0, 2)) await claimRegistry.connect(v).endorse(1, 2, ROOT, 0, REASON);
  await claimRegistry.connect(claimant).dispute(1);
  const pool = (await ethers.getSigners()).slice(5, 15).map((s) => s.address);
  return { ...f, claimId: 1n, pool, poolTree: buildPoolTree(pool) };
}

async function openFixture() {
  const f = await disputedFixture();
  const deadline = (await time.latest()) + 3600;
  await f.juryCourt.connect(f.gateway).openCase(f.claimId, f.poolTree.root, POOL_CID, f.pool.length, 5, deadline);
  return { ...f, deadline };
}

async function votingFixture() {
  const f = await openFixture();
  await mine(2); // a view sees blockhash(seedBlock) only once a later block exists
  const seed = await f.juryCourt.drawSeed(f.claimId);
  const roster = drawRoster(seed, f.pool, 5);
  const rosterTree = buildRosterTree(roster);
  await f.juryCourt.connect(f.gateway).commitRoster(f.claimId, rosterTree.root, ROSTER_CID);
  return { ...f, seed, roster, rosterTree };
}

const TALLY = { ballotsRoot: id("ballots"), ballotsCid: "bafkreiballots", upholdVotes: 1, overturnVotes: 3 };

async function talliedFixture() {
  const f = await votingFixture();
  await time.increaseTo(f.deadline + 1);
  await f.juryCourt.connect(f.gateway).submitTally(f.claimId, TALLY);
  return f;
}

describe("JuryCourt", () => {
  describe("openCase", () => {
    it("opens a case for a disputed claim with the next block as seed block", async () => {
      const { juryCourt, gateway, claimId, poolTree, pool } = await loadFixture(disputedFixture);
      const deadline = (await time.latest()) + 3600;
      const seedBlock = (await ethers.provider.getBlockNumber()) + 2;
      await expect(juryCourt.connect(gateway).openCase(claimId, poolTree.root, POOL_CID, pool.length, 5, deadline))
        .to.emit(juryCourt, "CaseOpened")
        .withArgs(claimId, poolTree.root, POOL_CID, pool.length, 5, deadline, seedBlock);
      const c = await juryCourt.juryCase(claimId);
      expect(c.status).to.equal(CaseStatus.Drawing);
      expect(c.seedBlock).to.equal(seedBlock);
    });

    it("rejects a second case, a claim not disputed, a bad jury and a past deadline", async () => {
      const { juryCourt, gateway, claimId, poolTree, claimRegistry, claimant } = await loadFixture(openFixture);
      const deadline = (await time.latest()) + 3600;
      await expect(juryCourt.connect(gateway).openCase(claimId, poolTree.root, POOL_CID, 10, 5, deadline))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtCaseExists")
        .withArgs(claimId);
      await claimRegistry.connect(claimant).fileClaim(1, 5, "bafkreimeta2");
      await expect(juryCourt.connect(gateway).openCase(2, poolTree.root, POOL_CID, 10, 5, deadline))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtClaimNotDisputed")
        .withArgs(2);
      const fresh = await loadFixture(disputedFixture);
      for (const [root, pool, roster] of [
        [ZeroHash, 10, 5],
        [poolTree.root, 10, 0],
        [poolTree.root, 4, 5],
      ] as const) {
        await expect(fresh.juryCourt.connect(fresh.gateway).openCase(claimId, root, POOL_CID, pool, roster, deadline))
          .to.be.revertedWithCustomError(fresh.juryCourt, "JuryCourtInvalidJury")
          .withArgs(root, pool, roster);
      }
      const past = await time.latest();
      await expect(fresh.juryCourt.connect(fresh.gateway).openCase(claimId, poolTree.root, POOL_CID, 10, 5, past))
        .to.be.revertedWithCustomError(fresh.juryCourt, "JuryCourtInvalidDeadline")
        .withArgs(past);
    });

    it("reverts for an outsider and a validator", async () => {
      const { juryCourt, outsider, validators, claimId, poolTree } = await loadFixture(disputedFixture);
      for (const caller of [outsider, validators[0]]) {
        await expect(juryCourt.connect(caller).openCase(claimId, poolTree.root, POOL_CID, 10, 5, 2n ** 40n))
          .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.GATEWAY);
      }
    });
  });

  describe("commitRoster", () => {
    it("fixes the seed from the seed block's hash and opens voting", async () => {
      const { juryCourt, gateway, claimId, pool } = await loadFixture(openFixture);
      await expect(juryCourt.connect(gateway).commitRoster(claimId, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtSeedNotReady")
        .withArgs(claimId, (await juryCourt.juryCase(claimId)).seedBlock);
      await mine(2);
      const { seedBlock } = await juryCourt.juryCase(claimId);
      const seed = (await ethers.provider.getBlock(Number(seedBlock)))!.hash!;
      expect(await juryCourt.drawSeed(claimId)).to.equal(seed);
      const rosterTree = buildRosterTree(drawRoster(seed, pool, 5));
      await expect(juryCourt.connect(gateway).commitRoster(claimId, rosterTree.root, ROSTER_CID))
        .to.emit(juryCourt, "RosterCommitted")
        .withArgs(claimId, seed, rosterTree.root, ROSTER_CID);
      const c = await juryCourt.juryCase(claimId);
      expect(c.status).to.equal(CaseStatus.Voting);
      expect(c.seed).to.equal(seed);
    });

    it("rejects an expired seed block, which only then can be reset", async () => {
      const { juryCourt, gateway, claimId } = await loadFixture(openFixture);
      await mine(1);
      const { seedBlock } = await juryCourt.juryCase(claimId);
      await expect(juryCourt.connect(gateway).resetSeedBlock(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtSeedAvailable")
        .withArgs(claimId, seedBlock);
      await mine(300);
      await expect(juryCourt.connect(gateway).commitRoster(claimId, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtSeedExpired")
        .withArgs(claimId, seedBlock);
      const next = (await ethers.provider.getBlockNumber()) + 2;
      await expect(juryCourt.connect(gateway).resetSeedBlock(claimId))
        .to.emit(juryCourt, "SeedBlockReset")
        .withArgs(claimId, next);
    });

    it("rejects an empty roster, a closed vote and a second commit", async () => {
      const { juryCourt, gateway, claimId, deadline } = await loadFixture(openFixture);
      await mine(1);
      await expect(juryCourt.connect(gateway).commitRoster(claimId, ZeroHash, ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidRoster")
        .withArgs(claimId);
      await time.increaseTo(deadline);
      await expect(juryCourt.connect(gateway).commitRoster(claimId, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtVotingClosed")
        .withArgs(claimId, deadline);
      const voting = await loadFixture(votingFixture);
      await expect(voting.juryCourt.connect(voting.gateway).commitRoster(claimId, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(voting.juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Voting, CaseStatus.Drawing);
    });

    it("reverts for an outsider and an unknown case", async () => {
      const { juryCourt, gateway, outsider, claimId } = await loadFixture(openFixture);
      await expect(juryCourt.connect(outsider).commitRoster(claimId, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
      await expect(juryCourt.connect(gateway).commitRoster(99, id("r"), ROSTER_CID))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtUnknownCase")
        .withArgs(99);
    });
  });

  describe("submitTally", () => {
    it("records the tally after the deadline", async () => {
      const { juryCourt, gateway, claimId, deadline } = await loadFixture(votingFixture);
      await expect(juryCourt.connect(gateway).submitTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtVotingOpen")
        .withArgs(claimId, deadline);
      await time.increaseTo(deadline + 1);
      const hash = await juryCourt.tallyHash(TALLY);
      await expect(juryCourt.connect(gateway).submitTally(claimId, TALLY))
        .to.emit(juryCourt, "TallySubmitted")
        .withArgs(claimId, hash, TALLY.ballotsRoot, TALLY.ballotsCid, 1, 3);
      expect((await juryCourt.juryCase(claimId)).tallyHash).to.equal(hash);
    });

    it("rejects counts above the roster size and an empty ballots root", async () => {
      const { juryCourt, gateway, claimId, deadline } = await loadFixture(votingFixture);
      await time.increaseTo(deadline + 1);
      await expect(juryCourt.connect(gateway).submitTally(claimId, { ...TALLY, upholdVotes: 3, overturnVotes: 3 }))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtTallyExceedsRoster")
        .withArgs(claimId, 6, 5);
      await expect(juryCourt.connect(gateway).submitTally(claimId, { ...TALLY, ballotsRoot: ZeroHash }))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidTally")
        .withArgs(claimId);
    });

    it("rejects a tally before the roster and from an outsider", async () => {
      const { juryCourt, gateway, outsider, claimId } = await loadFixture(openFixture);
      await expect(juryCourt.connect(gateway).submitTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Drawing, CaseStatus.Voting);
      await expect(juryCourt.connect(outsider).submitTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
    });
  });

  describe("confirmTally", () => {
    it("overturns the rejection at M matching confirmations", async () => {
      const { juryCourt, claimRegistry, validators, claimId } = await loadFixture(talliedFixture);
      const hash = await juryCourt.tallyHash(TALLY);
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, TALLY))
        .to.emit(juryCourt, "TallyConfirmed")
        .withArgs(claimId, validators[0].address, hash)
        .and.not.to.emit(juryCourt, "CaseDecided");
      await expect(juryCourt.connect(validators[1]).confirmTally(claimId, TALLY))
        .to.emit(juryCourt, "CaseDecided")
        .withArgs(claimId, true, 1, 3)
        .and.to.emit(claimRegistry, "ClaimJuryOutcomeApplied")
        .withArgs(claimId, true)
        .and.to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, ClaimState.Disputed, ClaimState.Approved);
      const claim = await claimRegistry.claim(claimId);
      expect(claim.amountApproved).to.equal(claim.amountRequested);
      expect([...(await juryCourt.confirmations(claimId, hash))]).to.deep.equal(
        validators.slice(0, 2).map((v) => v.address),
      );
    });

    it("upholds the rejection on a tie, and the claim cannot be disputed again", async () => {
      const { juryCourt, claimRegistry, gateway, validators, claimant, claimId } = await loadFixture(votingFixture);
      await time.increase(3600);
      const tie = { ...TALLY, upholdVotes: 2, overturnVotes: 2 };
      await juryCourt.connect(gateway).submitTally(claimId, tie);
      await juryCourt.connect(validators[0]).confirmTally(claimId, tie);
      await expect(juryCourt.connect(validators[1]).confirmTally(claimId, tie))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, ClaimState.Disputed, ClaimState.Rejected);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryAlreadyDisputed")
        .withArgs(claimId);
    });

    it("rejects a confirmation that differs from the submitted tally", async () => {
      const { juryCourt, validators, claimId } = await loadFixture(talliedFixture);
      const other = { ...TALLY, overturnVotes: 2 };
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, other))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtTallyMismatch")
        .withArgs(claimId, await juryCourt.tallyHash(TALLY), await juryCourt.tallyHash(other));
    });

    it("lets a validator confirm once, and only validators", async () => {
      const { juryCourt, validators, gateway, claimId } = await loadFixture(talliedFixture);
      await juryCourt.connect(validators[0]).confirmTally(claimId, TALLY);
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtAlreadyConfirmed")
        .withArgs(claimId, validators[0].address);
      await expect(juryCourt.connect(gateway).confirmTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(gateway.address, ROLES.VALIDATOR);
    });

    it("counts only confirmations of the current tally after a correction", async () => {
      const { juryCourt, gateway, validators, claimId } = await loadFixture(talliedFixture);
      await juryCourt.connect(validators[0]).confirmTally(claimId, TALLY);
      const corrected = { ...TALLY, overturnVotes: 2 };
      await juryCourt.connect(gateway).submitTally(claimId, corrected);
      await expect(juryCourt.connect(validators[1]).confirmTally(claimId, corrected)).not.to.emit(
        juryCourt,
        "CaseDecided",
      );
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, corrected))
        .to.emit(juryCourt, "CaseDecided")
        .withArgs(claimId, true, 1, 2);
    });

    it("does not count a confirmation given before a removal when the address is admitted again", async () => {
      const { juryCourt, consortium, validators, claimId } = await loadFixture(talliedFixture);
      const [a, b, c] = validators;
      await juryCourt.connect(c).confirmTally(claimId, TALLY);
      await removeAndReadmit(consortium, [a, b], c, "Org 3", encryptionKeyFor("org-3"));
      await expect(juryCourt.connect(a).confirmTally(claimId, TALLY)).not.to.emit(juryCourt, "CaseDecided");
      await expect(juryCourt.connect(c).confirmTally(claimId, TALLY)).to.emit(juryCourt, "CaseDecided");
    });

    it("rejects confirmations of a decided case and while paused", async () => {
      const { juryCourt, consortium, validators, claimId } = await loadFixture(talliedFixture);
      await govern(consortium, validators, Action.Pause, proposalParams.none);
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, TALLY)).to.be.revertedWithCustomError(
        juryCourt,
        "ConsortiumGatedPaused",
      );
      await govern(consortium, validators, Action.Unpause, proposalParams.none);
      for (const v of validators.slice(0, 2)) await juryCourt.connect(v).confirmTally(claimId, TALLY);
      await expect(juryCourt.connect(validators[2]).confirmTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Decided, CaseStatus.Tallied);
    });
  });

  describe("finalizeTally", () => {
    it("decides once a lowered threshold is met, and not before", async () => {
      const { juryCourt, consortium, validators, outsider, claimId } = await loadFixture(talliedFixture);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3));
      for (const v of validators.slice(0, 2)) await juryCourt.connect(v).confirmTally(claimId, TALLY);
      await expect(juryCourt.connect(outsider).finalizeTally(claimId, TALLY))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtQuorumNotReached")
        .withArgs(claimId, 2, 3);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(2));
      await expect(juryCourt.connect(outsider).finalizeTally(claimId, TALLY))
        .to.emit(juryCourt, "CaseDecided")
        .withArgs(claimId, true, TALLY.upholdVotes, TALLY.overturnVotes);
    });

    it("refuses a tally other than the submitted one", async () => {
      const { juryCourt, claimId } = await loadFixture(talliedFixture);
      const other = { ...TALLY, overturnVotes: 0 };
      await expect(juryCourt.finalizeTally(claimId, other)).to.be.revertedWithCustomError(
        juryCourt,
        "JuryCourtTallyMismatch",
      );
    });
  });

  describe("votingClosesAt", () => {
    it("extends the voting window by the time the consortium spent paused", async () => {
      const { juryCourt, consortium, gateway, validators, claimId, deadline } = await loadFixture(openFixture);
      await govern(consortium, validators, Action.Pause, proposalParams.none);
      await time.increase(7200); // the deadline passes while nobody can act
      await govern(consortium, validators, Action.Unpause, proposalParams.none);
      const closesAt = await juryCourt.votingClosesAt(claimId);
      expect(closesAt).to.equal(BigInt(deadline) + (await consortium.pausedTime()));
      await expect(juryCourt.connect(gateway).commitRoster(claimId, id("roster"), ROSTER_CID)).to.emit(
        juryCourt,
        "RosterCommitted",
      );
    });
  });

  describe("ballotDigest", () => {
    it("matches a juror's EIP-712 ballot signature made off chain", async () => {
      const { juryCourt, claimId } = await loadFixture(votingFixture);
      const [juror] = (await ethers.getSigners()).slice(5, 6);
      const ballot = { claimId, juror: juror.address, choice: 1 };
      const signature = await juror.signTypedData(await readDomain(juryCourt), BALLOT_TYPES, ballot);
      const digest = await juryCourt.ballotDigest(claimId, juror.address, 1);
      expect(ethers.recoverAddress(digest, signature)).to.equal(juror.address);
      expect(verifyTypedData(await readDomain(juryCourt), BALLOT_TYPES, ballot, signature)).to.equal(juror.address);
    });
  });

  describe("roster rule", () => {
    it("is recomputable from the published pool and the on-chain seed", async () => {
      const { juryCourt, claimId, pool, rosterTree } = await loadFixture(votingFixture);
      const c = await juryCourt.juryCase(claimId);
      const recomputed = buildRosterTree(drawRoster(c.seed, pool, Number(c.rosterSize)));
      expect(recomputed.root).to.equal(c.rosterRoot).and.to.equal(rosterTree.root);
      expect(new Set(drawRoster(c.seed, pool, 10)).size).to.equal(10);
      expect(buildPoolTree(pool).root).to.equal(c.jurorPoolRoot);
    });
  });
});

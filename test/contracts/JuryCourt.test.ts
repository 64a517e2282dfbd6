import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, id, verifyTypedData } from "ethers";
import { ethers } from "hardhat";
import { deployAidProofFixture } from "../fixtures";
import { Action, govern, proposalParams } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { BALLOT_TYPES, JUROR_CREDENTIAL_TYPES, juryCourtDomain } from "../../api/src/chain/typedData";
import { JurySignatures } from "../../api/src/jury/ballot";
import { Sortition, buildPoolTree, drawRoster } from "../../api/src/jury/roster";
import { TEST_JURY_RULES, makeJurors, manifestOf, poolLeaf } from "../support/jury";

const CaseStatus = { None: 0, Drawing: 1, Voting: 2, Sealed: 3, Tallied: 4, Decided: 5, Inconclusive: 6 };
const ClaimState = { Approved: 3, Rejected: 4, Disputed: 5 };
const ROOT = id("evidence-set");
const REASON = id("reason document");
const CID = "bafkreiballots";
const KEY = (n: number) => id(`ballot-key-${n}`);

async function poolFixture() {
  const f = await deployAidProofFixture();
  await govern(f.consortium, f.validators, Action.SetJuryRules, proposalParams.juryRules(TEST_JURY_RULES));
  const jurors = await makeJurors(f.gateway, f.chainId, f.addresses.juryCourt, 12);
  const manifest = manifestOf(jurors);
  const tree = buildPoolTree(manifest);
  return { ...f, jurors, manifest, tree };
}

async function disputedFixture() {
  const f = await poolFixture();
  const { claimRegistry, claimant, validators, juryCourt, gateway } = f;
  await juryCourt.connect(gateway).proposePool(f.tree.root, 12, "bafkreipool");
  for (const v of validators.slice(0, 2)) await juryCourt.connect(v).confirmPool(1);
  await claimRegistry.connect(claimant).fileClaim(1, 100_000, "bafkreimeta");
  await claimRegistry.connect(validators[0]).startReview(1);
  for (const v of validators.slice(0, 2)) await claimRegistry.connect(v).endorse(1, 2, ROOT, 0, REASON);
  await claimRegistry.connect(claimant).dispute(1);
  return { ...f, claimId: 1n };
}

async function votingFixture() {
  const f = await disputedFixture();
  await f.juryCourt.connect(f.outsider).openCase(f.claimId);
  for (const v of f.validators) await f.juryCourt.connect(v).publishBallotKey(f.claimId, KEY(1));
  await f.juryCourt.connect(f.claimant).draw(f.claimId);
  const c = await f.juryCourt.juryCase(f.claimId);
  return { ...f, deadline: Number(c.votingDeadline) };
}

async function sealedFixture() {
  const f = await votingFixture();
  await time.increaseTo(f.deadline + 1);
  await f.juryCourt.connect(f.gateway).sealBallots(f.claimId, id("ballots"), CID, 4);
  return f;
}

async function talliedFixture() {
  const f = await sealedFixture();
  await f.juryCourt.connect(f.gateway).submitTally(f.claimId, 1, 3);
  const { tallyHash } = await f.juryCourt.juryCase(f.claimId);
  return { ...f, tallyHash };
}

describe("JuryCourt", () => {
  describe("proposePool / confirmPool", () => {
    it("confirms a pool at M validators' endorsements, once each", async () => {
      const { juryCourt, gateway, validators, tree } = await loadFixture(poolFixture);
      await expect(juryCourt.connect(gateway).proposePool(tree.root, 12, "bafkreipool"))
        .to.emit(juryCourt, "PoolProposed")
        .withArgs(1, tree.root, 12, "bafkreipool");
      await juryCourt.connect(validators[0]).confirmPool(1);
      await expect(juryCourt.connect(validators[0]).confirmPool(1))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtPoolAlreadyEndorsed")
        .withArgs(1, validators[0].address);
      expect(await juryCourt.latestPool()).to.equal(0);
      await expect(juryCourt.connect(validators[1]).confirmPool(1)).to.emit(juryCourt, "PoolConfirmed").withArgs(1);
      expect(await juryCourt.latestPool()).to.equal(1);
      await expect(juryCourt.connect(validators[2]).confirmPool(1))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtPoolNotProposed")
        .withArgs(1);
    });

    it("refuses an empty pool, and pools from anyone but a gateway", async () => {
      const { juryCourt, gateway, outsider, validators, tree } = await loadFixture(poolFixture);
      await expect(juryCourt.connect(gateway).proposePool(ZeroHash, 12, "bafkreipool"))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidPool")
        .withArgs(ZeroHash, 12);
      await expect(juryCourt.connect(outsider).proposePool(tree.root, 12, "bafkreipool"))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
      await expect(juryCourt.connect(outsider).confirmPool(1))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.VALIDATOR);
      await expect(juryCourt.connect(validators[0]).confirmPool(7))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtPoolNotProposed")
        .withArgs(7);
    });
  });

  describe("openCase", () => {
    it("lets anyone open the case of a disputed claim over the latest confirmed pool", async () => {
      const { juryCourt, outsider, claimId } = await loadFixture(disputedFixture);
      const seedBlock = (await ethers.provider.getBlockNumber()) + 2;
      await expect(juryCourt.connect(outsider).openCase(claimId))
        .to.emit(juryCourt, "CaseOpened")
        .withArgs(claimId, 1, 1, seedBlock);
      const c = await juryCourt.juryCase(claimId);
      expect(c.status).to.equal(CaseStatus.Drawing);
      expect(c.poolSize).to.equal(12);
      expect(c.keyThreshold).to.equal(2);
      expect((await juryCourt.caseRules(claimId)).rosterSize).to.equal(TEST_JURY_RULES.rosterSize);
    });

    it("refuses a second case, a claim not disputed, no pool and a pool below the minimum", async () => {
      const f = await loadFixture(disputedFixture);
      await f.juryCourt.openCase(f.claimId);
      await expect(f.juryCourt.openCase(f.claimId))
        .to.be.revertedWithCustomError(f.juryCourt, "JuryCourtCaseExists")
        .withArgs(f.claimId);
      await f.claimRegistry.connect(f.claimant).fileClaim(1, 5, "bafkreimeta2");
      await expect(f.juryCourt.openCase(2))
        .to.be.revertedWithCustomError(f.juryCourt, "JuryCourtClaimNotDisputed")
        .withArgs(2);
      const small = await loadFixture(poolFixture);
      const { claimRegistry, claimant, validators, juryCourt, gateway } = small;
      await claimRegistry.connect(claimant).fileClaim(1, 100_000, "bafkreimeta");
      await claimRegistry.connect(validators[0]).startReview(1);
      for (const v of validators.slice(0, 2)) await claimRegistry.connect(v).endorse(1, 2, ROOT, 0, REASON);
      await claimRegistry.connect(claimant).dispute(1);
      await expect(juryCourt.openCase(1)).to.be.revertedWithCustomError(juryCourt, "JuryCourtNoPool");
      // A pool of three friends cannot be drawn from: the rules need at least 8.
      const friends = buildPoolTree(manifestOf(small.jurors.slice(0, 3)));
      await juryCourt.connect(gateway).proposePool(friends.root, 3, "bafkreifriends");
      for (const v of validators.slice(0, 2)) await juryCourt.connect(v).confirmPool(1);
      await expect(juryCourt.openCase(1))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtPoolTooSmall")
        .withArgs(1, 3, TEST_JURY_RULES.minPoolSize);
    });
  });

  describe("draw", () => {
    it("records the seed block's hash as anyone's draw, with the rules' voting window", async () => {
      const { juryCourt, claimant, claimId, validators } = await loadFixture(disputedFixture);
      await juryCourt.openCase(claimId);
      const { seedBlock } = await juryCourt.juryCase(claimId);
      await expect(juryCourt.connect(claimant).draw(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtSeedNotReady")
        .withArgs(claimId, seedBlock);
      for (const v of validators) await juryCourt.connect(v).publishBallotKey(claimId, KEY(1));
      const blockHash = (await ethers.provider.getBlock(Number(seedBlock)))!.hash!;
      const seed = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint256", "uint32"], [blockHash, claimId, 1]),
      );
      const tx = await juryCourt.connect(claimant).draw(claimId);
      const deadline = (await ethers.provider.getBlock(tx.blockNumber!))!.timestamp + TEST_JURY_RULES.votingSeconds;
      await expect(tx).to.emit(juryCourt, "JuryDrawn").withArgs(claimId, 1, seed, deadline);
      const c = await juryCourt.juryCase(claimId);
      expect(c.status).to.equal(CaseStatus.Voting);
      expect(await juryCourt.votingClosesAt(claimId)).to.equal(deadline);
    });

    it("re-draws by rule once the seed block aged out, and the gateway cannot draw again", async () => {
      const { juryCourt, gateway, claimId, validators } = await loadFixture(disputedFixture);
      await juryCourt.openCase(claimId);
      for (const v of validators) await juryCourt.connect(v).publishBallotKey(claimId, KEY(1));
      await mine(300);
      const next = (await ethers.provider.getBlockNumber()) + 2;
      await expect(juryCourt.connect(gateway).draw(claimId))
        .to.emit(juryCourt, "SeedBlockReset")
        .withArgs(claimId, 1, next);
      await mine(1);
      await juryCourt.draw(claimId);
      await expect(juryCourt.connect(gateway).draw(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Voting, CaseStatus.Drawing);
      await expect(juryCourt.connect(gateway).restartCase(claimId)).to.be.revertedWithCustomError(
        juryCourt,
        "JuryCourtNotStalled",
      );
    });
  });

  describe("isJuror", () => {
    it("agrees with the off-chain sortition for every pool entry, and refuses a forged entry", async () => {
      const { juryCourt, claimId, manifest, tree } = await loadFixture(votingFixture);
      const c = await juryCourt.juryCase(claimId);
      const sortition = new Sortition(c.seed, 12, TEST_JURY_RULES.rosterSize, Number(c.openedAt));
      const roster = drawRoster(manifest, sortition);
      for (const [voter] of manifest.entries) {
        const leaf = poolLeaf(manifest, voter);
        const proof = tree.getProof(leaf);
        expect(await juryCourt.isJuror(claimId, ...leaf, proof)).to.equal(roster.has(voter));
        // The same voter claiming another pool index or a later qualification is not a juror.
        expect(await juryCourt.isJuror(claimId, leaf[0], leaf[1], leaf[2], leaf[3] + 1, proof)).to.equal(false);
      }
    });
  });

  describe("publishBallotKey", () => {
    it("takes one key per validator while drawing; the draw needs M keys and freezes the set", async () => {
      const { juryCourt, validators, outsider, claimId } = await loadFixture(disputedFixture);
      await juryCourt.openCase(claimId);
      await juryCourt.connect(validators[2]).publishBallotKey(claimId, KEY(3));
      await expect(juryCourt.connect(validators[2]).publishBallotKey(claimId, KEY(4)))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtBallotKeyExists")
        .withArgs(claimId, validators[2].address);
      await expect(juryCourt.connect(outsider).publishBallotKey(claimId, KEY(2)))
        .to.be.revertedWithCustomError(juryCourt, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.VALIDATOR);
      await expect(juryCourt.connect(validators[0]).publishBallotKey(claimId, ZeroHash))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidBallotKey")
        .withArgs(claimId);
      await expect(juryCourt.draw(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtBallotKeysMissing")
        .withArgs(claimId, 1, 2);
      await juryCourt.connect(validators[0]).publishBallotKey(claimId, KEY(1));
      await juryCourt.draw(claimId);
      expect(await juryCourt.ballotKeys(claimId)).to.deep.equal([
        [validators[2].address, validators[0].address],
        [KEY(3), KEY(1)],
      ]);
      expect((await juryCourt.juryCase(claimId)).keyCount).to.equal(2);
      await expect(juryCourt.connect(validators[1]).publishBallotKey(claimId, KEY(2)))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Voting, CaseStatus.Drawing);
    });
  });

  describe("sealBallots / revealBallotKey", () => {
    it("seals only after the deadline, and keys are revealed only after the seal", async () => {
      const { juryCourt, gateway, validators, claimId, deadline } = await loadFixture(votingFixture);
      await expect(juryCourt.connect(validators[0]).revealBallotKey(claimId, KEY(9)))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Voting, CaseStatus.Sealed);
      await expect(juryCourt.connect(gateway).sealBallots(claimId, id("b"), CID, 4))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtVotingOpen")
        .withArgs(claimId, deadline);
      await time.increaseTo(deadline + 1);
      await expect(juryCourt.connect(gateway).sealBallots(claimId, ZeroHash, CID, 4))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidBallots")
        .withArgs(claimId);
      await expect(juryCourt.connect(gateway).sealBallots(claimId, id("b"), CID, 4))
        .to.emit(juryCourt, "BallotsSealed")
        .withArgs(claimId, 1, id("b"), CID, 4);
      await expect(juryCourt.connect(gateway).sealBallots(claimId, id("c"), CID, 5))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Sealed, CaseStatus.Voting);
      await expect(juryCourt.connect(validators[1]).revealBallotKey(claimId, KEY(8)))
        .to.emit(juryCourt, "BallotKeyRevealed")
        .withArgs(claimId, 1, validators[1].address, KEY(8));
      await juryCourt.connect(validators[0]).revealBallotKey(claimId, KEY(9));
      expect(await juryCourt.revealedKeys(claimId)).to.deep.equal([
        [2n, 1n],
        [KEY(8), KEY(9)],
      ]);
      await expect(juryCourt.connect(validators[0]).revealBallotKey(claimId, KEY(9)))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtNoBallotKey")
        .withArgs(claimId, validators[0].address);
    });
  });

  describe("submitTally / confirmTally", () => {
    it("decides at M exact confirmations and applies the outcome to the claim", async () => {
      const { juryCourt, validators, claimId, claimRegistry, tallyHash } = await loadFixture(talliedFixture);
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, id("other")))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtTallyMismatch")
        .withArgs(claimId, tallyHash, id("other"));
      await juryCourt.connect(validators[0]).confirmTally(claimId, tallyHash);
      await expect(juryCourt.connect(validators[0]).confirmTally(claimId, tallyHash))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtAlreadyConfirmed")
        .withArgs(claimId, validators[0].address);
      await expect(juryCourt.connect(validators[1]).confirmTally(claimId, tallyHash))
        .to.emit(juryCourt, "CaseDecided")
        .withArgs(claimId, true, 1, 3);
      expect((await claimRegistry.claim(claimId)).state).to.equal(ClaimState.Approved);
    });

    it("refuses more votes than sealed ballots, and a tally altered once confirmations began", async () => {
      const { juryCourt, gateway, validators, claimId, tallyHash } = await loadFixture(talliedFixture);
      await expect(juryCourt.connect(gateway).submitTally(claimId, 3, 2))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtTallyExceedsBallots")
        .withArgs(claimId, 5, 4);
      await juryCourt.connect(gateway).submitTally(claimId, 3, 1); // corrected before anyone confirmed
      const corrected = (await juryCourt.juryCase(claimId)).tallyHash;
      expect(corrected).to.not.equal(tallyHash);
      await juryCourt.connect(validators[0]).confirmTally(claimId, corrected);
      await expect(juryCourt.connect(gateway).submitTally(claimId, 0, 4))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtTallyLocked")
        .withArgs(claimId, corrected);
    });

    it("ends inconclusive below the minimum valid votes; anyone restarts it as a new round", async () => {
      const { juryCourt, gateway, validators, outsider, claimId, claimRegistry } = await loadFixture(sealedFixture);
      await juryCourt.connect(gateway).submitTally(claimId, 0, 1);
      const { tallyHash } = await juryCourt.juryCase(claimId);
      await juryCourt.connect(validators[0]).confirmTally(claimId, tallyHash);
      await expect(juryCourt.connect(validators[1]).confirmTally(claimId, tallyHash))
        .to.emit(juryCourt, "CaseInconclusive")
        .withArgs(claimId, 1, 0, 1);
      expect((await claimRegistry.claim(claimId)).state).to.equal(ClaimState.Disputed);
      await expect(juryCourt.connect(outsider).restartCase(claimId))
        .to.emit(juryCourt, "CaseRestarted")
        .withArgs(claimId, 2, CaseStatus.Inconclusive);
      const c = await juryCourt.juryCase(claimId);
      expect([c.round, c.status, c.seed]).to.deep.equal([2n, BigInt(CaseStatus.Drawing), ZeroHash]);
      expect(await juryCourt.ballotKey(claimId, validators[0].address)).to.equal(ZeroHash); // new round, new keys
    });
  });

  describe("restartCase", () => {
    it("restarts a case stalled past its deadline plus the stall time, never earlier", async () => {
      const { juryCourt, outsider, claimId, deadline } = await loadFixture(votingFixture);
      const restartable = deadline + TEST_JURY_RULES.stallSeconds;
      expect(await juryCourt.restartableAt(claimId)).to.equal(restartable);
      await time.increaseTo(restartable - 5);
      await expect(juryCourt.connect(outsider).restartCase(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtNotStalled")
        .withArgs(claimId, restartable);
      await time.increaseTo(restartable);
      await expect(juryCourt.connect(outsider).restartCase(claimId))
        .to.emit(juryCourt, "CaseRestarted")
        .withArgs(claimId, 2, CaseStatus.Voting);
    });

    it("refuses to restart a decided case", async () => {
      const { juryCourt, validators, claimId, tallyHash } = await loadFixture(talliedFixture);
      for (const v of validators.slice(0, 2)) await juryCourt.connect(v).confirmTally(claimId, tallyHash);
      await expect(juryCourt.restartCase(claimId))
        .to.be.revertedWithCustomError(juryCourt, "JuryCourtInvalidStatus")
        .withArgs(claimId, CaseStatus.Decided, CaseStatus.Voting);
    });
  });

  describe("ballotDigest / credentialDigest", () => {
    it("match the off-chain EIP-712 digests and ethers' signer recovery", async () => {
      const { juryCourt, chainId, addresses, jurors, gateway } = await loadFixture(poolFixture);
      const signatures = new JurySignatures(chainId, addresses.juryCourt);
      const juror = jurors[0].wallet;
      const ballot = { claimId: 1n, round: 2, juror: juror.address, sequence: 3, envelopeHash: id("envelope") };
      expect(await juryCourt.ballotDigest(1, 2, juror.address, 3, id("envelope"))).to.equal(
        `0x${signatures.ballotDigest(ballot).toString("hex")}`,
      );
      const domain = juryCourtDomain(chainId, addresses.juryCourt);
      const signature = await juror.signTypedData(domain, BALLOT_TYPES, ballot);
      expect(signatures.ballotSigner(ballot, signature)).to.equal(juror.address.toLowerCase());
      expect(verifyTypedData(domain, BALLOT_TYPES, ballot, signature)).to.equal(juror.address);
      const { voter, memberHash, qualifiedAt, credential } = jurors[0].entry;
      expect(await juryCourt.credentialDigest(voter, memberHash, qualifiedAt)).to.equal(
        `0x${signatures.credentialDigest({ voter, memberHash, qualifiedAt }).toString("hex")}`,
      );
      expect(verifyTypedData(domain, JUROR_CREDENTIAL_TYPES, { voter, memberHash, qualifiedAt }, credential)).to.equal(
        gateway.address,
      );
    });
  });
});

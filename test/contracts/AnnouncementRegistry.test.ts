import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, id } from "ethers";
import { ANNOUNCEMENT_PERIOD, deployAidProofFixture, encryptionKeyFor } from "../fixtures";
import { Action, govern, proposalParams, removeAndReadmit } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";

const ROOT = id("announcement");
const CID = "bafkreiannouncement";
const Status = { None: 0, Pending: 1, Confirmed: 2, Rejected: 3 };

async function closedFixture() {
  const f = await deployAidProofFixture();
  const [, end] = await f.announcementRegistry.periodBounds(0);
  await time.increaseTo(end);
  return f;
}

async function publishedFixture() {
  const f = await closedFixture();
  await f.announcementRegistry.connect(f.gateway).publish(0, ROOT, 3, CID);
  return f;
}

async function rejectedFixture() {
  const f = await publishedFixture();
  for (const v of f.validators.slice(0, 2)) await f.announcementRegistry.connect(v).attest(0, ROOT, false);
  return f;
}

describe("AnnouncementRegistry", () => {
  describe("periods", () => {
    it("start at deployment and last the constructor's length", async () => {
      const { announcementRegistry } = await loadFixture(deployAidProofFixture);
      const epoch = await announcementRegistry.epoch();
      expect(await announcementRegistry.periodLength()).to.equal(ANNOUNCEMENT_PERIOD);
      expect(await announcementRegistry.periodBounds(2)).to.deep.equal([
        epoch + 2n * BigInt(ANNOUNCEMENT_PERIOD),
        epoch + 3n * BigInt(ANNOUNCEMENT_PERIOD),
      ]);
      expect(await announcementRegistry.periodOf(epoch + BigInt(ANNOUNCEMENT_PERIOD))).to.equal(1);
      await expect(announcementRegistry.periodOf(epoch - 1n))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryBeforeEpoch")
        .withArgs(epoch - 1n, epoch);
    });
  });

  describe("publish", () => {
    it("anchors a closed period's root, count and manifest CID", async () => {
      const { announcementRegistry, gateway } = await loadFixture(closedFixture);
      await expect(announcementRegistry.connect(gateway).publish(0, ROOT, 3, CID))
        .to.emit(announcementRegistry, "AnnouncementPublished")
        .withArgs(0, ROOT, 3, CID, gateway.address);
      const a = await announcementRegistry.announcement(0);
      expect([a.root, a.entryCount, a.publication, a.status, a.manifestCidHash]).to.deep.equal([
        ROOT,
        3n,
        1n,
        BigInt(Status.Pending),
        id(CID),
      ]);
    });

    it("refuses an open period, an empty root or CID, a second publication and a non-gateway", async () => {
      const { announcementRegistry, gateway, validators } = await loadFixture(publishedFixture);
      const [, end] = await announcementRegistry.periodBounds(1);
      await expect(announcementRegistry.connect(gateway).publish(1, ROOT, 0, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryPeriodOpen")
        .withArgs(1, end);
      await expect(announcementRegistry.connect(gateway).publish(0, ROOT, 3, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryAlreadyPublished")
        .withArgs(0, Status.Pending);
      await time.increaseTo(end);
      await expect(announcementRegistry.connect(gateway).publish(1, ZeroHash, 0, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryInvalidAnnouncement")
        .withArgs(1, ZeroHash, CID);
      await expect(announcementRegistry.connect(gateway).publish(1, ROOT, 0, ""))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryInvalidAnnouncement")
        .withArgs(1, ROOT, "");
      await expect(announcementRegistry.connect(validators[0]).publish(1, ROOT, 0, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(validators[0].address, ROLES.GATEWAY);
    });

    it("replaces a rejected announcement; votes on the old publication do not count", async () => {
      const { announcementRegistry, gateway, validators } = await loadFixture(rejectedFixture);
      const fixed = id("fixed");
      await announcementRegistry.connect(gateway).publish(0, fixed, 4, CID);
      expect(await announcementRegistry.attestations(0)).to.deep.equal([[], []]);
      await expect(announcementRegistry.connect(validators[0]).attest(0, fixed, true)).not.to.emit(
        announcementRegistry,
        "AnnouncementConfirmed",
      );
      await expect(announcementRegistry.connect(validators[1]).attest(0, fixed, true))
        .to.emit(announcementRegistry, "AnnouncementConfirmed")
        .withArgs(0, fixed);
      await expect(announcementRegistry.connect(gateway).publish(0, ROOT, 3, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryAlreadyPublished")
        .withArgs(0, Status.Confirmed);
    });
  });

  describe("publish after a stalled vote", () => {
    it("accepts a new publication once a pending one has waited a period; old votes stop counting", async () => {
      const { announcementRegistry, gateway, validators } = await loadFixture(publishedFixture);
      await announcementRegistry.connect(validators[0]).attest(0, ROOT, true);
      const { publishedAt } = await announcementRegistry.announcement(0);
      await time.increaseTo(publishedAt + BigInt(ANNOUNCEMENT_PERIOD) - 2n); // the next block is one second later
      await expect(announcementRegistry.connect(gateway).publish(0, ROOT, 3, CID))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryAlreadyPublished")
        .withArgs(0, Status.Pending);
      await announcementRegistry.connect(gateway).publish(0, ROOT, 3, CID);
      expect((await announcementRegistry.announcement(0)).publication).to.equal(2);
      expect(await announcementRegistry.attestations(0)).to.deep.equal([[], []]);
      await expect(announcementRegistry.connect(validators[1]).attest(0, ROOT, true)).not.to.emit(
        announcementRegistry,
        "AnnouncementConfirmed",
      );
    });
  });

  describe("attest", () => {
    it("confirms at the M-th identical verdict and rejects at M invalid ones", async () => {
      const { announcementRegistry, validators } = await loadFixture(publishedFixture);
      await expect(announcementRegistry.connect(validators[0]).attest(0, ROOT, true))
        .to.emit(announcementRegistry, "AnnouncementAttested")
        .withArgs(0, ROOT, validators[0].address, true);
      await announcementRegistry.connect(validators[1]).attest(0, ROOT, false);
      await expect(announcementRegistry.connect(validators[2]).attest(0, ROOT, true))
        .to.emit(announcementRegistry, "AnnouncementConfirmed")
        .withArgs(0, ROOT);
      expect((await announcementRegistry.announcement(0)).status).to.equal(Status.Confirmed);
    });

    it("refuses a second verdict, another root, a settled announcement and a non-validator", async () => {
      const { announcementRegistry, validators, gateway } = await loadFixture(publishedFixture);
      await announcementRegistry.connect(validators[0]).attest(0, ROOT, true);
      await expect(announcementRegistry.connect(validators[0]).attest(0, ROOT, false))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryAlreadyAttested")
        .withArgs(0, validators[0].address);
      await expect(announcementRegistry.connect(validators[1]).attest(0, id("other"), true))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryNotPending")
        .withArgs(0, id("other"));
      await expect(announcementRegistry.connect(gateway).attest(0, ROOT, true))
        .to.be.revertedWithCustomError(announcementRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(gateway.address, ROLES.VALIDATOR);
      await announcementRegistry.connect(validators[1]).attest(0, ROOT, true);
      await expect(announcementRegistry.connect(validators[2]).attest(0, ROOT, true))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryNotPending")
        .withArgs(0, ROOT);
    });

    it("does not count a verdict given before a removal when the address is admitted again", async () => {
      const { announcementRegistry, consortium, validators } = await loadFixture(publishedFixture);
      const [a, b, c] = validators;
      await announcementRegistry.connect(c).attest(0, ROOT, true);
      await removeAndReadmit(consortium, [a, b], c, "Org 3", encryptionKeyFor("org-3"));
      await expect(announcementRegistry.connect(a).attest(0, ROOT, true)).not.to.emit(
        announcementRegistry,
        "AnnouncementConfirmed",
      );
      await expect(announcementRegistry.connect(c).attest(0, ROOT, true)).to.emit(
        announcementRegistry,
        "AnnouncementConfirmed",
      );
    });
  });

  describe("finalize", () => {
    it("settles once a lowered threshold is met, and not before", async () => {
      const { announcementRegistry, consortium, validators } = await loadFixture(publishedFixture);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3));
      for (const v of validators.slice(0, 2)) await announcementRegistry.connect(v).attest(0, ROOT, true);
      await expect(announcementRegistry.connect(validators[0]).finalize(0, ROOT, true))
        .to.be.revertedWithCustomError(announcementRegistry, "AnnouncementRegistryQuorumNotReached")
        .withArgs(0, 2, 3);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(2));
      await expect(announcementRegistry.connect(validators[2]).finalize(0, ROOT, true))
        .to.emit(announcementRegistry, "AnnouncementConfirmed")
        .withArgs(0, ROOT);
    });
  });
});

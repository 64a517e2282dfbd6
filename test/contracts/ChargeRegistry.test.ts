import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, id } from "ethers";
import { deployAidProofFixture, type AidProofFixture } from "../fixtures";
import { Action, govern, proposalParams } from "../helpers/governance";
const Decision = { Approve: 1 };
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { PRODUCTION_CHARGE_RULES } from "../../api/src/charges/rules";

const ROOT = id("charge tree");
const CID = "bafkreichargemanifest";
const Status = { None: 0, Pending: 1, Confirmed: 2, Rejected: 3, Skipped: 4 };
const CAP = PRODUCTION_CHARGE_RULES.capPerPaidClaim;

/** Files, approves 2-of-3 and pays a claim of `amount`. */
async function pay(f: AidProofFixture, amount: bigint): Promise<void> {
  await f.claimRegistry.connect(f.claimant).fileClaim(1, amount, "bafkreimetadata");
  const claimId = await f.claimRegistry.claimCount();
  await f.claimRegistry.connect(f.validators[0]).startReview(claimId);
  for (const v of f.validators.slice(0, 2))
    await f.claimRegistry.connect(v).endorse(claimId, Decision.Approve, id("set"), amount, id("reason"));
  await f.claimRegistry.connect(f.validators[2]).recordPayout(claimId, id(`paid-${claimId}`));
}

async function closeNext(f: AidProofFixture): Promise<bigint> {
  const period = await f.chargeRegistry.nextPeriod();
  const [, end] = await f.announcementRegistry.periodBounds(period);
  if (BigInt(await time.latest()) < end) await time.increaseTo(end);
  return period;
}

/** Period 0: one batch of members, two claims paid (1,000 and 2,345) at an 8% fee, then closed. */
async function billedFixture() {
  const f = await deployAidProofFixture();
  await govern(f.consortium, f.validators.slice(0, 2), Action.SetFeeRate, proposalParams.feeRate(800));
  await f.membershipRegistry.connect(f.gateway).recordBatch(500, 0, "bafkreimembers");
  await pay(f, 1_000n);
  await pay(f, 2_345n);
  await closeNext(f);
  return f;
}

async function proposedFixture() {
  const f = await billedFixture();
  const { total } = await f.chargeRegistry.bill(0);
  await f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 500, 1, total, CID);
  return f;
}

describe("ChargeRegistry", () => {
  describe("bill", () => {
    it("is the period's payouts, the fee at the consortium's rate, the carry, and the cap per paid claim", async () => {
      const f = await loadFixture(billedFixture);
      const b = await f.chargeRegistry.bill(0);
      expect(b.payouts).to.equal(3_345n);
      expect(b.paidClaims).to.equal(2n);
      expect(b.fee).to.equal(267n); // 3,345 * 8% = 267.6, rounded down
      expect(b.carriedIn).to.equal(0n);
      expect(b.total).to.equal(3_612n);
      expect(b.cap).to.equal(2n * CAP);
      await expect(f.chargeRegistry.bill(1))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryOutOfOrder")
        .withArgs(1, 0);
    });
  });

  describe("chargedOf", () => {
    it("charges the whole bill under the cap, cap x members over it, and nothing without members", async () => {
      const { chargeRegistry } = await loadFixture(deployAidProofFixture);
      const bill = { payouts: 0n, paidClaims: 1n, fee: 0n, carriedIn: 0n, total: 1_000n, cap: 10n };
      expect(await chargeRegistry.chargedOf(bill, 100)).to.equal(1_000n); // 10 each: at the cap
      expect(await chargeRegistry.chargedOf(bill, 99)).to.equal(990n); // 10.1 each: capped
      expect(await chargeRegistry.chargedOf(bill, 0)).to.equal(0n);
      expect(await chargeRegistry.chargedOf({ ...bill, cap: 2n ** 256n - 1n }, 7)).to.equal(1_000n);
    });
  });

  describe("proposeCharges", () => {
    it("anchors the root, count, total, fee and manifest CID of a closed period", async () => {
      const f = await loadFixture(billedFixture);
      await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 500, 1, 3_612n, CID))
        .to.emit(f.chargeRegistry, "ChargesProposed")
        .withArgs(0, ROOT, 500, 3_612n, 3_612n, CID, f.gateway.address);
      const c = await f.chargeRegistry.charges(0);
      expect([
        c.root,
        c.manifestCidHash,
        c.memberCount,
        c.total,
        c.fee,
        c.charged,
        c.carriedOut,
        c.status,
      ]).to.deep.equal([ROOT, id(CID), 500n, 3_612n, 267n, 3_612n, 0n, BigInt(Status.Pending)]);
    });

    it("refuses a bill the chain does not compute: a payout left out or invented", async () => {
      const f = await loadFixture(billedFixture);
      for (const stated of [3_612n - 1n, 3_612n + 1n])
        await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 500, 1, stated, CID))
          .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryBillMismatch")
          .withArgs(0, stated, 3_612n);
    });

    it("refuses members derived from other batches than those recorded before the close", async () => {
      const f = await loadFixture(billedFixture);
      await f.membershipRegistry.connect(f.gateway).recordBatch(1, 0, "bafkreilate"); // after the close
      await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 501, 2, 3_612n, CID))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryMembershipCutoff")
        .withArgs(0, 2, 1);
    });

    it("refuses an open period, a later period, an outsider and a malformed proposal", async () => {
      const f = await loadFixture(deployAidProofFixture);
      const [, end] = await f.announcementRegistry.periodBounds(0);
      await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 1, 0, 0, CID))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryPeriodOpen")
        .withArgs(0, end);
      await time.increaseTo(end);
      await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(1, ROOT, 1, 0, 0, CID))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryOutOfOrder")
        .withArgs(1, 0);
      await expect(f.chargeRegistry.connect(f.outsider).proposeCharges(0, ROOT, 1, 0, 0, CID))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(f.outsider.address, ROLES.GATEWAY);
      for (const [root, count, cid] of [
        [ZeroHash, 1, CID],
        [ROOT, 0, CID],
        [ROOT, 1, ""],
      ] as const)
        await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, root, count, 0, 0, cid))
          .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryInvalidCharges")
          .withArgs(0, root, count, cid);
    });

    it("carries what the cap leaves uncharged, and refuses a second proposal while one is pending", async () => {
      const f = await loadFixture(billedFixture);
      // 3,612 over 100 members is 36.12 each, over the cap of 2 paid claims x 10: each pays 20.
      await f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 100, 1, 3_612n, CID);
      const c = await f.chargeRegistry.charges(0);
      expect([c.charged, c.carriedOut]).to.deep.equal([2_000n, 1_612n]);
      await expect(f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 100, 1, 3_612n, CID))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryAlreadyProposed")
        .withArgs(0, Status.Pending);
    });
  });

  describe("attest", () => {
    it("confirms with M verdicts and carries the uncharged part into the next period's bill", async () => {
      const f = await loadFixture(billedFixture);
      await f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 100, 1, 3_612n, CID);
      await f.chargeRegistry.connect(f.validators[0]).attest(0, ROOT, true);
      expect(await f.chargeRegistry.nextPeriod()).to.equal(0);
      await expect(f.chargeRegistry.connect(f.validators[1]).attest(0, ROOT, true))
        .to.emit(f.chargeRegistry, "ChargesConfirmed")
        .withArgs(0, ROOT, 2_000n, 1_612n);
      expect(await f.chargeRegistry.nextPeriod()).to.equal(1);
      await pay(f, 100n);
      await closeNext(f);
      const next = await f.chargeRegistry.bill(1);
      expect([next.payouts, next.fee, next.carriedIn, next.total]).to.deep.equal([100n, 8n, 1_612n, 1_720n]);
    });

    it("rejects with M invalid verdicts, after which the period is proposed again", async () => {
      const f = await loadFixture(proposedFixture);
      await f.chargeRegistry.connect(f.validators[0]).attest(0, ROOT, false);
      await expect(f.chargeRegistry.connect(f.validators[2]).attest(0, ROOT, false))
        .to.emit(f.chargeRegistry, "ChargesRejected")
        .withArgs(0, ROOT);
      const fixed = id("recomputed tree");
      await f.chargeRegistry.connect(f.gateway).proposeCharges(0, fixed, 500, 1, 3_612n, CID);
      const c = await f.chargeRegistry.charges(0);
      expect([c.root, c.publication, c.status]).to.deep.equal([fixed, 2n, BigInt(Status.Pending)]);
      expect(await f.chargeRegistry.attestations(0)).to.deep.equal([[], []]);
    });

    it("refuses an outsider, a second verdict and a root not pending", async () => {
      const f = await loadFixture(proposedFixture);
      await expect(f.chargeRegistry.connect(f.outsider).attest(0, ROOT, true))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(f.outsider.address, ROLES.VALIDATOR);
      await f.chargeRegistry.connect(f.validators[0]).attest(0, ROOT, true);
      await expect(f.chargeRegistry.connect(f.validators[0]).attest(0, ROOT, false))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryAlreadyAttested")
        .withArgs(0, f.validators[0].address);
      await expect(f.chargeRegistry.connect(f.validators[1]).attest(0, id("other"), true))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryNotPending")
        .withArgs(0, id("other"));
    });
  });

  describe("finalize", () => {
    it("settles a proposal whose verdicts reach a lowered threshold, and not before", async () => {
      const f = await loadFixture(billedFixture);
      await govern(f.consortium, f.validators, Action.SetThreshold, proposalParams.threshold(3));
      await f.chargeRegistry.connect(f.gateway).proposeCharges(0, ROOT, 500, 1, 3_612n, CID);
      for (const v of f.validators.slice(0, 2)) await f.chargeRegistry.connect(v).attest(0, ROOT, true);
      await expect(f.chargeRegistry.connect(f.validators[0]).finalize(0, ROOT, true))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryQuorumNotReached")
        .withArgs(0, 2, 3);
      await govern(f.consortium, f.validators, Action.SetThreshold, proposalParams.threshold(2));
      await expect(f.chargeRegistry.connect(f.validators[2]).finalize(0, ROOT, true))
        .to.emit(f.chargeRegistry, "ChargesConfirmed")
        .withArgs(0, ROOT, 3_612n, 0n);
    });
  });

  describe("skipPeriod", () => {
    it("lets anyone close a period with nothing to charge, carrying its bill", async () => {
      const f = await loadFixture(deployAidProofFixture);
      await closeNext(f);
      await expect(f.chargeRegistry.connect(f.outsider).skipPeriod(0))
        .to.emit(f.chargeRegistry, "PeriodSkipped")
        .withArgs(0, 0);
      expect((await f.chargeRegistry.charges(0)).status).to.equal(Status.Skipped);
      expect(await f.chargeRegistry.nextPeriod()).to.equal(1);
    });

    it("refuses to skip a period whose members owe something", async () => {
      const f = await loadFixture(billedFixture);
      await expect(f.chargeRegistry.connect(f.outsider).skipPeriod(0))
        .to.be.revertedWithCustomError(f.chargeRegistry, "ChargeRegistryNotSkippable")
        .withArgs(0, 3_612n);
    });
  });
});

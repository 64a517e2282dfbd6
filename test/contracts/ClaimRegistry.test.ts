import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ZeroAddress, ZeroHash, id } from "ethers";
import { DISPUTE_WINDOW, deployAidProofFixture, encryptionKeyFor, juryCourtSigner } from "../fixtures";
import { Action, govern, proposalParams, removeAndReadmit } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import {
  DISPUTE_CLAIM_TYPES,
  FILE_CLAIM_TYPES,
  readDomain,
  type FileClaimMessage,
} from "../../api/src/chain/typedData";
import type { ClaimRegistry } from "../../typechain-types";

export const State = { None: 0, Filed: 1, UnderReview: 2, Approved: 3, Rejected: 4, Disputed: 5, Paid: 6 };
export const Decision = { None: 0, Approve: 1, Reject: 2 };
const CID = "bafkreimetadata";
const AMOUNT = 300_000n;
const ROOT = id("evidence-set");
const REASON = id("reason document");

async function signFileClaim(
  claims: ClaimRegistry,
  signer: HardhatEthersSigner,
  overrides: Partial<FileClaimMessage> = {},
) {
  const message: FileClaimMessage = {
    claimant: signer.address,
    planId: 1n,
    amount: AMOUNT,
    metadataCid: CID,
    nonce: await claims.nonces(signer.address),
    deadline: BigInt((await time.latest()) + 3600),
    ...overrides,
  };
  const signature = await signer.signTypedData(await readDomain(claims), FILE_CLAIM_TYPES, message);
  return { message, signature };
}

function relay(claims: ClaimRegistry, gateway: HardhatEthersSigner, m: FileClaimMessage, signature: string) {
  return claims
    .connect(gateway)
    .fileClaimFor(m.claimant, m.planId, m.amount, m.metadataCid, m.nonce, m.deadline, signature);
}

async function filedFixture() {
  const f = await deployAidProofFixture();
  await f.claimRegistry.connect(f.claimant).fileClaim(1, AMOUNT, CID);
  return { ...f, claimId: 1n };
}

async function reviewFixture() {
  const f = await filedFixture();
  await f.claimRegistry.connect(f.validators[0]).startReview(f.claimId);
  return f;
}

async function rejectedFixture() {
  const f = await reviewFixture();
  for (const v of f.validators.slice(0, 2))
    await f.claimRegistry.connect(v).endorse(f.claimId, Decision.Reject, ROOT, 0, REASON);
  return f;
}

/** Approved for a token amount: 1 of the 300,000 asked. */
async function partialFixture() {
  const f = await reviewFixture();
  for (const v of f.validators.slice(0, 2))
    await f.claimRegistry.connect(v).endorse(f.claimId, Decision.Approve, ROOT, 1n, REASON);
  return f;
}

async function approvedFixture() {
  const f = await reviewFixture();
  for (const v of f.validators.slice(0, 2))
    await f.claimRegistry.connect(v).endorse(f.claimId, Decision.Approve, ROOT, AMOUNT, REASON);
  return f;
}

describe("ClaimRegistry", () => {
  describe("fileClaim", () => {
    it("files a claim for the caller with events", async () => {
      const { claimRegistry, claimant } = await loadFixture(deployAidProofFixture);
      await expect(claimRegistry.connect(claimant).fileClaim(7, AMOUNT, CID))
        .to.emit(claimRegistry, "ClaimFiled")
        .withArgs(1, claimant.address, 7, AMOUNT, CID)
        .and.to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(1, State.None, State.Filed);
      const c = await claimRegistry.claim(1);
      expect(c.claimant).to.equal(claimant.address);
      expect(c.state).to.equal(State.Filed);
      expect(c.amountRequested).to.equal(AMOUNT);
      expect(c.metadataCid).to.equal(CID);
      expect(await claimRegistry.claimCount()).to.equal(1);
    });

    it("rejects a zero amount and an empty metadata CID", async () => {
      const { claimRegistry, claimant } = await loadFixture(deployAidProofFixture);
      await expect(claimRegistry.connect(claimant).fileClaim(1, 0, CID))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidClaim")
        .withArgs(claimant.address, 0, CID);
      await expect(claimRegistry.connect(claimant).fileClaim(1, AMOUNT, ""))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidClaim")
        .withArgs(claimant.address, AMOUNT, "");
    });

    it("reverts while paused", async () => {
      const { consortium, claimRegistry, claimant, validators } = await loadFixture(deployAidProofFixture);
      await govern(consortium, validators, Action.Pause, proposalParams.none);
      await expect(claimRegistry.connect(claimant).fileClaim(1, AMOUNT, CID)).to.be.revertedWithCustomError(
        claimRegistry,
        "ConsortiumGatedPaused",
      );
    });
  });

  describe("contract claimants", () => {
    it("refuses a contract as claimant, directly and relayed", async () => {
      const { claimRegistry, juryCourt, gateway, claimant } = await loadFixture(deployAidProofFixture);
      const contractAddress = await juryCourt.getAddress();
      await ethers.provider.send("hardhat_impersonateAccount", [contractAddress]);
      await ethers.provider.send("hardhat_setBalance", [contractAddress, "0xde0b6b3a7640000"]);
      const wallet = await ethers.getSigner(contractAddress);
      await expect(claimRegistry.connect(wallet).fileClaim(1, AMOUNT, CID))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryContractClaimant")
        .withArgs(contractAddress);
      const { message, signature } = await signFileClaim(claimRegistry, claimant, { claimant: contractAddress });
      await expect(relay(claimRegistry, gateway, message, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryContractClaimant")
        .withArgs(contractAddress);
    });
  });

  describe("fileClaimFor", () => {
    it("accepts the claimant's signature relayed by a gateway", async () => {
      const { claimRegistry, claimant, gateway } = await loadFixture(deployAidProofFixture);
      const { message, signature } = await signFileClaim(claimRegistry, claimant);
      await expect(relay(claimRegistry, gateway, message, signature))
        .to.emit(claimRegistry, "ClaimFiled")
        .withArgs(1, claimant.address, 1, AMOUNT, CID);
      expect(await claimRegistry.nonces(claimant.address)).to.equal(1);
    });

    it("rejects a replayed signature", async () => {
      const { claimRegistry, claimant, gateway } = await loadFixture(deployAidProofFixture);
      const { message, signature } = await signFileClaim(claimRegistry, claimant);
      await relay(claimRegistry, gateway, message, signature);
      await expect(relay(claimRegistry, gateway, message, signature))
        .to.be.revertedWithCustomError(claimRegistry, "InvalidAccountNonce")
        .withArgs(claimant.address, 1);
    });

    it("rejects an expired deadline", async () => {
      const { claimRegistry, claimant, gateway } = await loadFixture(deployAidProofFixture);
      const deadline = BigInt(await time.latest());
      const { message, signature } = await signFileClaim(claimRegistry, claimant, { deadline });
      await expect(relay(claimRegistry, gateway, message, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryExpiredSignature")
        .withArgs(deadline);
    });

    it("rejects a signature for another chain id, another contract, a wrong signer or a changed field", async () => {
      const { claimRegistry, claimant, gateway, outsider } = await loadFixture(deployAidProofFixture);
      const domain = await readDomain(claimRegistry);
      const { message } = await signFileClaim(claimRegistry, claimant);
      const forged = [
        await claimant.signTypedData({ ...domain, chainId: 1n }, FILE_CLAIM_TYPES, message),
        await claimant.signTypedData({ ...domain, verifyingContract: outsider.address }, FILE_CLAIM_TYPES, message),
        await outsider.signTypedData(domain, FILE_CLAIM_TYPES, message),
        await claimant.signTypedData(domain, FILE_CLAIM_TYPES, { ...message, amount: AMOUNT + 1n }),
      ];
      for (const signature of forged) {
        await expect(relay(claimRegistry, gateway, message, signature))
          .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidSignature")
          .withArgs(claimant.address);
      }
    });

    it("rejects a zero claimant and an outsider relayer", async () => {
      const { claimRegistry, claimant, gateway, outsider } = await loadFixture(deployAidProofFixture);
      const { message, signature } = await signFileClaim(claimRegistry, claimant);
      await expect(relay(claimRegistry, outsider, message, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
      await expect(relay(claimRegistry, gateway, { ...message, claimant: ZeroAddress }, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidSignature")
        .withArgs(ZeroAddress);
    });
  });

  describe("startReview", () => {
    it("moves Filed to UnderReview", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(filedFixture);
      await expect(claimRegistry.connect(validators[0]).startReview(claimId))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Filed, State.UnderReview);
    });

    it("reverts for an outsider, an unknown claim and a wrong state", async () => {
      const { claimRegistry, validators, outsider, claimId } = await loadFixture(reviewFixture);
      await expect(claimRegistry.connect(outsider).startReview(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.VALIDATOR);
      await expect(claimRegistry.connect(validators[0]).startReview(99))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryUnknownClaim")
        .withArgs(99);
      await expect(claimRegistry.connect(validators[0]).startReview(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(claimId, State.UnderReview, State.UnderReview);
    });
  });

  describe("endorse", () => {
    it("decides at the M-th matching endorsement", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      await expect(claimRegistry.connect(validators[0]).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.emit(claimRegistry, "ClaimEndorsed")
        .withArgs(claimId, validators[0].address, Decision.Approve, ROOT, AMOUNT, REASON)
        .and.not.to.emit(claimRegistry, "ClaimDecided");
      await expect(claimRegistry.connect(validators[1]).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.emit(claimRegistry, "ClaimDecided")
        .withArgs(claimId, Decision.Approve, ROOT, AMOUNT, REASON)
        .and.to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.UnderReview, State.Approved);
      const c = await claimRegistry.claim(claimId);
      expect(c.evidenceRoot).to.equal(ROOT);
      expect(c.amountApproved).to.equal(AMOUNT);
    });

    it("records conflicting endorsements without counting them for the other side", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      const [a, b, c] = validators;
      await claimRegistry.connect(a).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON);
      await expect(
        claimRegistry.connect(b).endorse(claimId, Decision.Approve, id("other evidence"), AMOUNT, REASON),
      ).not.to.emit(claimRegistry, "ClaimDecided");
      await expect(
        claimRegistry.connect(c).endorse(claimId, Decision.Approve, ROOT, AMOUNT, id("other reason")),
      ).not.to.emit(claimRegistry, "ClaimDecided");
      expect((await claimRegistry.claim(claimId)).state).to.equal(State.UnderReview);
      expect(await claimRegistry.endorsements(claimId, Decision.Approve, ROOT, AMOUNT, REASON)).to.deep.equal([
        a.address,
      ]);
    });

    it("refuses the same endorsement twice", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      await claimRegistry.connect(validators[0]).endorse(claimId, Decision.Reject, ROOT, 0, REASON);
      await expect(claimRegistry.connect(validators[0]).endorse(claimId, Decision.Reject, ROOT, 0, REASON))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryAlreadyEndorsed")
        .withArgs(claimId, validators[0].address);
    });

    it("lets a member replace its endorsement while under review: the old one stops counting", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      const [a, b] = validators;
      const other = id("another reason");
      await claimRegistry.connect(a).endorse(claimId, Decision.Approve, ROOT, AMOUNT, other);
      await claimRegistry.connect(b).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON);
      // a adopts b's reason; its first endorsement no longer counts anywhere.
      await expect(claimRegistry.connect(a).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.emit(claimRegistry, "ClaimDecided")
        .withArgs(claimId, Decision.Approve, ROOT, AMOUNT, REASON);
      const fresh = await loadFixture(reviewFixture);
      const [x, y, z] = fresh.validators;
      await fresh.claimRegistry.connect(x).endorse(fresh.claimId, Decision.Approve, ROOT, AMOUNT, other);
      await fresh.claimRegistry.connect(x).endorse(fresh.claimId, Decision.Reject, ROOT, 0, REASON);
      await expect(
        fresh.claimRegistry.connect(y).endorse(fresh.claimId, Decision.Approve, ROOT, AMOUNT, other),
      ).not.to.emit(fresh.claimRegistry, "ClaimDecided");
      // Back to the first decision: counted once, not twice.
      await expect(
        fresh.claimRegistry.connect(x).endorse(fresh.claimId, Decision.Approve, ROOT, AMOUNT, other),
      ).to.emit(fresh.claimRegistry, "ClaimDecided");
      expect(
        await fresh.claimRegistry.endorsements(fresh.claimId, Decision.Approve, ROOT, AMOUNT, other),
      ).to.deep.equal([x.address, y.address]);
      void z;
    });

    it("rejects malformed decisions", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      for (const [decision, root, amount, reason] of [
        [Decision.Approve, ROOT, 0n, REASON],
        [Decision.Approve, ROOT, AMOUNT + 1n, REASON],
        [Decision.Reject, ROOT, 1n, REASON],
        [Decision.Approve, ZeroHash, AMOUNT, REASON],
        [Decision.Approve, ROOT, AMOUNT, ZeroHash],
        [Decision.None, ROOT, 0n, REASON],
      ] as const) {
        await expect(claimRegistry.connect(validators[0]).endorse(claimId, decision, root, amount, reason))
          .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidDecision")
          .withArgs(claimId, decision, root, amount, reason);
      }
    });

    it("reverts for an outsider, the gateway and a claim not under review", async () => {
      const { claimRegistry, validators, outsider, gateway, claimId } = await loadFixture(filedFixture);
      for (const caller of [outsider, gateway]) {
        await expect(claimRegistry.connect(caller).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
          .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.VALIDATOR);
      }
      await expect(claimRegistry.connect(validators[0]).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(claimId, State.Filed, State.Approved);
    });

    it("does not count an endorser removed while the decision is pending", async () => {
      const { consortium, claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      const [a, b, c] = validators;
      await claimRegistry.connect(c).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON);
      await govern(consortium, [a, b], Action.RemoveMember, proposalParams.removeMember(c.address));
      await expect(claimRegistry.connect(a).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON)).not.to.emit(
        claimRegistry,
        "ClaimDecided",
      );
      await expect(claimRegistry.connect(b).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON)).to.emit(
        claimRegistry,
        "ClaimDecided",
      );
    });
  });

  describe("endorse after re-admission", () => {
    it("does not count an endorsement given before a removal, and lets the re-admitted member endorse anew", async () => {
      const { consortium, claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      const [a, b, c] = validators;
      await claimRegistry.connect(c).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON);
      await removeAndReadmit(consortium, [a, b], c, "Org 3", encryptionKeyFor("org-3"));
      await expect(claimRegistry.connect(a).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON)).not.to.emit(
        claimRegistry,
        "ClaimDecided",
      );
      await expect(claimRegistry.connect(c).endorse(claimId, Decision.Approve, ROOT, AMOUNT, REASON)).to.emit(
        claimRegistry,
        "ClaimDecided",
      );
    });
  });

  describe("finalize", () => {
    it("decides once a lowered threshold is met", async () => {
      const { consortium, claimRegistry, validators, claimId } = await loadFixture(reviewFixture);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3));
      await claimRegistry.connect(validators[0]).endorse(claimId, Decision.Reject, ROOT, 0, REASON);
      await claimRegistry.connect(validators[1]).endorse(claimId, Decision.Reject, ROOT, 0, REASON);
      await expect(claimRegistry.connect(validators[0]).finalize(claimId, Decision.Reject, ROOT, 0, REASON))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryQuorumNotReached")
        .withArgs(claimId, 2, 3);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(2));
      await expect(claimRegistry.connect(validators[2]).finalize(claimId, Decision.Reject, ROOT, 0, REASON))
        .to.emit(claimRegistry, "ClaimDecided")
        .withArgs(claimId, Decision.Reject, ROOT, 0, REASON);
    });

    it("reverts for an outsider and a decided claim", async () => {
      const { claimRegistry, validators, outsider, claimId } = await loadFixture(approvedFixture);
      await expect(claimRegistry.connect(outsider).finalize(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.VALIDATOR);
      await expect(claimRegistry.connect(validators[2]).finalize(claimId, Decision.Approve, ROOT, AMOUNT, REASON))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(claimId, State.Approved, State.Approved);
    });
  });

  describe("dispute", () => {
    it("moves Rejected to Disputed for the claimant", async () => {
      const { claimRegistry, claimant, claimId } = await loadFixture(rejectedFixture);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Rejected, State.Disputed);
      expect((await claimRegistry.claim(claimId)).disputed).to.equal(true);
    });

    it("reverts for someone else, after the window, and on an approved claim", async () => {
      const { claimRegistry, claimant, outsider, claimId } = await loadFixture(rejectedFixture);
      await expect(claimRegistry.connect(outsider).dispute(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryNotClaimant")
        .withArgs(claimId, outsider.address);
      const { decidedAt } = await claimRegistry.claim(claimId);
      await time.increaseTo(decidedAt + BigInt(DISPUTE_WINDOW) + 1n);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryDisputeWindowClosed")
        .withArgs(claimId, decidedAt + BigInt(DISPUTE_WINDOW));
    });

    it("extends the window by the time the consortium spent paused", async () => {
      const { consortium, claimRegistry, claimant, validators, claimId } = await loadFixture(rejectedFixture);
      const { decidedAt } = await claimRegistry.claim(claimId);
      await time.increaseTo(decidedAt + BigInt(DISPUTE_WINDOW) - 100n);
      await govern(consortium, validators, Action.Pause, "0x");
      await time.increase(DISPUTE_WINDOW); // the window's end passes while nobody can act
      await govern(consortium, validators, Action.Unpause, "0x");
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Rejected, State.Disputed);
    });

    it("reverts on a claim approved in full and on one still under review", async () => {
      const { claimRegistry, claimant, claimId } = await loadFixture(approvedFixture);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryApprovedInFull")
        .withArgs(claimId, AMOUNT);
      const review = await loadFixture(reviewFixture);
      await expect(review.claimRegistry.connect(review.claimant).dispute(review.claimId))
        .to.be.revertedWithCustomError(review.claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(review.claimId, State.UnderReview, State.Disputed);
    });

    it("moves a partial approval to Disputed, once", async () => {
      const { claimRegistry, claimant, claimId } = await loadFixture(partialFixture);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Approved, State.Disputed);
      await expect(claimRegistry.connect(claimant).dispute(claimId))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryAlreadyDisputed")
        .withArgs(claimId);
    });
  });

  describe("disputeFor", () => {
    it("accepts the claimant's signature once", async () => {
      const { claimRegistry, claimant, gateway, claimId } = await loadFixture(rejectedFixture);
      const message = { claimId, nonce: 0n, deadline: BigInt((await time.latest()) + 600) };
      const signature = await claimant.signTypedData(await readDomain(claimRegistry), DISPUTE_CLAIM_TYPES, message);
      await expect(claimRegistry.connect(gateway).disputeFor(claimId, 0, message.deadline, signature))
        .to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Rejected, State.Disputed);
      await expect(claimRegistry.connect(gateway).disputeFor(claimId, 0, message.deadline, signature))
        .to.be.revertedWithCustomError(claimRegistry, "InvalidAccountNonce")
        .withArgs(claimant.address, 1);
    });

    it("rejects another signer and an outsider relayer", async () => {
      const { claimRegistry, claimant, gateway, outsider, claimId } = await loadFixture(rejectedFixture);
      const message = { claimId, nonce: 0n, deadline: BigInt((await time.latest()) + 600) };
      const signature = await outsider.signTypedData(await readDomain(claimRegistry), DISPUTE_CLAIM_TYPES, message);
      await expect(claimRegistry.connect(gateway).disputeFor(claimId, 0, message.deadline, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidSignature")
        .withArgs(claimant.address);
      await expect(claimRegistry.connect(outsider).disputeFor(claimId, 0, message.deadline, signature))
        .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
    });
  });

  describe("applyJuryOutcome", () => {
    it("returns an upheld partial approval to its amount, and an overturned one to the amount asked", async () => {
      for (const [overturned, amount] of [
        [false, 1n],
        [true, AMOUNT],
      ] as const) {
        const f = await loadFixture(partialFixture);
        await f.claimRegistry.connect(f.claimant).dispute(f.claimId);
        await expect(f.claimRegistry.connect(await juryCourtSigner(f)).applyJuryOutcome(f.claimId, overturned))
          .to.emit(f.claimRegistry, "ClaimStateChanged")
          .withArgs(f.claimId, State.Disputed, State.Approved);
        expect((await f.claimRegistry.claim(f.claimId)).amountApproved).to.equal(amount);
      }
    });

    it("returns an upheld rejection to Rejected", async () => {
      const f = await loadFixture(rejectedFixture);
      await f.claimRegistry.connect(f.claimant).dispute(f.claimId);
      await expect(f.claimRegistry.connect(await juryCourtSigner(f)).applyJuryOutcome(f.claimId, false))
        .to.emit(f.claimRegistry, "ClaimStateChanged")
        .withArgs(f.claimId, State.Disputed, State.Rejected);
    });

    it("is reserved to the jury court", async () => {
      const { claimRegistry, gateway, validators, claimId } = await loadFixture(rejectedFixture);
      for (const caller of [gateway, validators[0]]) {
        await expect(claimRegistry.connect(caller).applyJuryOutcome(claimId, true))
          .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.JURY_COURT);
      }
    });
  });

  describe("paidBetween", () => {
    it("sums and counts the payouts recorded in a range of timestamps", async () => {
      const f = await loadFixture(deployAidProofFixture);
      const times: bigint[] = [];
      for (const amount of [100n, 250n]) {
        await f.claimRegistry.connect(f.claimant).fileClaim(1, amount, CID);
        const claimId = await f.claimRegistry.claimCount();
        await f.claimRegistry.connect(f.validators[0]).startReview(claimId);
        for (const v of f.validators.slice(0, 2))
          await f.claimRegistry.connect(v).endorse(claimId, Decision.Approve, ROOT, amount, REASON);
        await f.claimRegistry.connect(f.validators[2]).recordPayout(claimId, id(`paid-${amount}`));
        times.push(BigInt(await time.latest()));
        await time.increase(100);
      }
      const [first, second] = times;
      expect(await f.claimRegistry.paidBetween(0, first)).to.deep.equal([0n, 0n]);
      expect(await f.claimRegistry.paidBetween(0, first + 1n)).to.deep.equal([100n, 1n]);
      expect(await f.claimRegistry.paidBetween(first + 1n, second + 1n)).to.deep.equal([250n, 1n]);
      expect(await f.claimRegistry.paidBetween(0, second + 1000n)).to.deep.equal([350n, 2n]);
      await expect(f.claimRegistry.paidBetween(second, first))
        .to.be.revertedWithCustomError(f.claimRegistry, "ClaimRegistryInvalidRange")
        .withArgs(second, first);
    });
  });

  describe("recordPayout", () => {
    it("moves Approved to Paid once with the payment reference", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(approvedFixture);
      const ref = id("bank-transfer-0001");
      await expect(claimRegistry.connect(validators[2]).recordPayout(claimId, ref))
        .to.emit(claimRegistry, "ClaimPaid")
        .withArgs(claimId, AMOUNT, ref, validators[2].address)
        .and.to.emit(claimRegistry, "ClaimStateChanged")
        .withArgs(claimId, State.Approved, State.Paid);
      expect((await claimRegistry.claim(claimId)).paymentReference).to.equal(ref);
      await expect(claimRegistry.connect(validators[0]).recordPayout(claimId, ref))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(claimId, State.Paid, State.Paid);
    });

    it("rejects an empty reference, a rejected claim, the gateway and an outsider", async () => {
      const { claimRegistry, validators, gateway, outsider, claimId } = await loadFixture(rejectedFixture);
      await expect(claimRegistry.connect(validators[0]).recordPayout(claimId, ZeroHash))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryEmptyPaymentReference")
        .withArgs(claimId);
      await expect(claimRegistry.connect(validators[0]).recordPayout(claimId, id("x")))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryInvalidTransition")
        .withArgs(claimId, State.Rejected, State.Paid);
      for (const caller of [gateway, outsider]) {
        await expect(claimRegistry.connect(caller).recordPayout(claimId, id("x")))
          .to.be.revertedWithCustomError(claimRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.VALIDATOR);
      }
    });

    it("pays a partial approval only after its dispute window", async () => {
      const { claimRegistry, validators, claimId } = await loadFixture(partialFixture);
      const { decidedAt } = await claimRegistry.claim(claimId);
      await expect(claimRegistry.connect(validators[0]).recordPayout(claimId, id("x")))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryDisputeWindowOpen")
        .withArgs(claimId, decidedAt + BigInt(DISPUTE_WINDOW));
      await time.increaseTo(decidedAt + BigInt(DISPUTE_WINDOW) + 1n);
      await expect(claimRegistry.connect(validators[0]).recordPayout(claimId, id("x")))
        .to.emit(claimRegistry, "ClaimPaid")
        .withArgs(claimId, 1n, id("x"), validators[0].address);
    });
  });

  describe("views", () => {
    it("claim reverts for an unknown id; disputeWindow is the constructor's", async () => {
      const { claimRegistry } = await loadFixture(deployAidProofFixture);
      await expect(claimRegistry.claim(1))
        .to.be.revertedWithCustomError(claimRegistry, "ClaimRegistryUnknownClaim")
        .withArgs(1);
      expect(await claimRegistry.disputeWindow()).to.equal(DISPUTE_WINDOW);
      expect(ethers.isAddress(await claimRegistry.consortium())).to.equal(true);
    });
  });
});

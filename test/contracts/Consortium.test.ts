import { PRODUCTION_JURY_RULES } from "../../api/src/jury/rules";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";
import { deployAidProofFixture, encryptionKeyFor } from "../fixtures";
import { Action, deadlineIn, govern, proposalParams, proposeWith } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { Consortium__factory } from "../../typechain-types";

describe("Consortium", () => {
  describe("constructor", () => {
    it("registers the initial members as validators with their keys and the threshold", async () => {
      const { consortium, validators, gateway } = await loadFixture(deployAidProofFixture);
      expect(await consortium.memberCount()).to.equal(3);
      expect(await consortium.threshold()).to.equal(2);
      expect([...(await consortium.members())]).to.have.members(validators.map((v) => v.address));
      const m = await consortium.member(validators[0].address);
      expect(m.name).to.equal("Org 1");
      expect(m.encryptionKey).to.equal(encryptionKeyFor("org-1"));
      expect(await consortium.hasRole(ROLES.VALIDATOR, validators[0].address)).to.equal(true);
      expect(await consortium.hasRole(ROLES.GATEWAY, gateway.address)).to.equal(true);
    });

    it("rejects a threshold above the member count", async () => {
      const [deployer, a] = await ethers.getSigners();
      const factory = new Consortium__factory(deployer);
      await expect(
        factory.deploy(
          [{ account: a.address, name: "A", encryptionKey: encryptionKeyFor("a") }],
          2,
          [],
          PRODUCTION_JURY_RULES,
        ),
      )
        .to.be.revertedWithCustomError(factory, "ConsortiumInvalidThreshold")
        .withArgs(2, 1);
    });

    it("rejects a duplicate member and an admin role grant", async () => {
      const [deployer, a] = await ethers.getSigners();
      const factory = new Consortium__factory(deployer);
      const member = { account: a.address, name: "A", encryptionKey: encryptionKeyFor("a") };
      await expect(factory.deploy([member, member], 1, [], PRODUCTION_JURY_RULES))
        .to.be.revertedWithCustomError(factory, "ConsortiumDuplicateMember")
        .withArgs(a.address);
      await expect(factory.deploy([member], 1, [{ role: ethers.ZeroHash, account: a.address }], PRODUCTION_JURY_RULES))
        .to.be.revertedWithCustomError(factory, "ConsortiumRoleNotAssignable")
        .withArgs(ethers.ZeroHash);
    });
  });

  describe("propose", () => {
    it("creates the proposal and counts the proposer's approval", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const deadline = await deadlineIn();
      const data = proposalParams.threshold(3);
      await expect(consortium.connect(validators[0]).propose(Action.SetThreshold, data, deadline))
        .to.emit(consortium, "ProposalCreated")
        .withArgs(1, validators[0].address, Action.SetThreshold, data, deadline)
        .and.to.emit(consortium, "ProposalApproved")
        .withArgs(1, validators[0].address);
      expect(await consortium.approvalCount(1)).to.equal(1);
      const p = await consortium.proposal(1);
      expect(p.proposer).to.equal(validators[0].address);
      expect(p.executed).to.equal(false);
    });

    it("reverts for an outsider", async () => {
      const { consortium, outsider } = await loadFixture(deployAidProofFixture);
      await expect(consortium.connect(outsider).propose(Action.Pause, "0x", await deadlineIn()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });

    it("reverts for a deadline in the past", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const past = (await time.latest()) - 1;
      await expect(consortium.connect(validators[0]).propose(Action.Pause, "0x", past))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidDeadline")
        .withArgs(past);
    });
  });

  describe("approve", () => {
    it("emits ProposalApproved and counts once per member", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await proposeWith(consortium, [validators[0]], Action.Pause, "0x");
      await expect(consortium.connect(validators[1]).approve(1))
        .to.emit(consortium, "ProposalApproved")
        .withArgs(1, validators[1].address);
      await expect(consortium.connect(validators[1]).approve(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAlreadyApproved")
        .withArgs(1, validators[1].address);
      expect(await consortium.approvalCount(1)).to.equal(2);
    });

    it("reverts for an outsider, an unknown proposal and after the deadline", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      await proposeWith(consortium, [validators[0]], Action.Pause, "0x");
      await expect(consortium.connect(outsider).approve(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
      await expect(consortium.connect(validators[1]).approve(9))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownProposal")
        .withArgs(9);
      const { deadline } = await consortium.proposal(1);
      await time.increaseTo(deadline + 1n);
      await expect(consortium.connect(validators[1]).approve(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
        .withArgs(1, deadline);
    });
  });

  describe("execute", () => {
    it("does not execute with M-1 approvals", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await proposeWith(consortium, [validators[0]], Action.Pause, "0x");
      await expect(consortium.connect(validators[0]).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInsufficientApprovals")
        .withArgs(1, 1, 2);
    });

    it("executes with M approvals, once", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await proposeWith(consortium, validators.slice(0, 2), Action.SetThreshold, proposalParams.threshold(3));
      await expect(consortium.connect(validators[2]).execute(1))
        .to.emit(consortium, "ProposalExecuted")
        .withArgs(1, Action.SetThreshold)
        .and.to.emit(consortium, "ThresholdChanged")
        .withArgs(2, 3);
      expect(await consortium.threshold()).to.equal(3);
      await expect(consortium.connect(validators[0]).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalAlreadyExecuted")
        .withArgs(1);
    });

    it("reverts for an outsider and after the deadline", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      await proposeWith(consortium, validators.slice(0, 2), Action.Pause, "0x");
      await expect(consortium.connect(outsider).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
      const { deadline } = await consortium.proposal(1);
      await time.increaseTo(deadline + 1n);
      await expect(consortium.connect(validators[0]).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumProposalExpired")
        .withArgs(1, deadline);
    });

    it("stops counting a removed member's pending approval", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const [a, b, c] = validators;
      await proposeWith(consortium, [c, a], Action.Pause, "0x"); // #1 approved by c and a
      await govern(consortium, [a, b], Action.RemoveMember, proposalParams.removeMember(c.address)); // #2
      expect(await consortium.approvalCount(1)).to.equal(1);
      await expect(consortium.connect(a).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInsufficientApprovals")
        .withArgs(1, 1, 2);
    });

    it("applies a threshold raised while a proposal is pending", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const [a, b] = validators;
      await proposeWith(consortium, [a, b], Action.Pause, "0x"); // #1 has 2 approvals
      await govern(consortium, [a, b], Action.SetThreshold, proposalParams.threshold(3));
      await expect(consortium.connect(a).execute(1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInsufficientApprovals")
        .withArgs(1, 2, 3);
    });
  });

  describe("AddMember", () => {
    it("admits a member with the VALIDATOR role", async () => {
      const { consortium, validators, spare } = await loadFixture(deployAidProofFixture);
      const key = encryptionKeyFor("org-4");
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3)); // 3 of 4 stays a majority
      await expect(
        govern(consortium, validators, Action.AddMember, proposalParams.addMember(spare[0].address, "Org 4", key)),
      )
        .to.emit(consortium, "MemberAdded")
        .withArgs(spare[0].address, "Org 4", key);
      expect(await consortium.isMember(spare[0].address)).to.equal(true);
      expect(await consortium.hasRole(ROLES.VALIDATOR, spare[0].address)).to.equal(true);
      expect(await consortium.memberCount()).to.equal(4);
    });

    it("rejects a duplicate, the zero address and a malformed encryption key", async () => {
      const { consortium, validators, spare } = await loadFixture(deployAidProofFixture);
      const key = encryptionKeyFor("x");
      const dup = await proposeWith(
        consortium,
        validators,
        Action.AddMember,
        proposalParams.addMember(validators[0].address, "X", key),
      );
      await expect(consortium.connect(validators[0]).execute(dup))
        .to.be.revertedWithCustomError(consortium, "ConsortiumDuplicateMember")
        .withArgs(validators[0].address);
      const zero = await proposeWith(
        consortium,
        validators,
        Action.AddMember,
        proposalParams.addMember(ZeroAddress, "X", key),
      );
      await expect(consortium.connect(validators[0]).execute(zero)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumZeroAddress",
      );
      const badKey = "0x04" + "11".repeat(32);
      const bad = await proposeWith(
        consortium,
        validators,
        Action.AddMember,
        proposalParams.addMember(spare[0].address, "X", badKey),
      );
      await expect(consortium.connect(validators[0]).execute(bad))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidEncryptionKey")
        .withArgs(badKey);
    });
  });

  describe("RemoveMember", () => {
    it("removes the member and its VALIDATOR role", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await expect(
        govern(
          consortium,
          validators.slice(0, 2),
          Action.RemoveMember,
          proposalParams.removeMember(validators[2].address),
        ),
      )
        .to.emit(consortium, "MemberRemoved")
        .withArgs(validators[2].address);
      expect(await consortium.memberCount()).to.equal(2);
      expect(await consortium.hasRole(ROLES.VALIDATOR, validators[2].address)).to.equal(false);
      await expect(consortium.member(validators[2].address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(validators[2].address);
    });

    it("cannot leave M above N", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await govern(
        consortium,
        validators.slice(0, 2),
        Action.RemoveMember,
        proposalParams.removeMember(validators[2].address),
      );
      const id = await proposeWith(
        consortium,
        validators.slice(0, 2),
        Action.RemoveMember,
        proposalParams.removeMember(validators[1].address),
      );
      await expect(consortium.connect(validators[0]).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidThreshold")
        .withArgs(2, 1);
    });

    it("rejects a non-member", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      const id = await proposeWith(
        consortium,
        validators,
        Action.RemoveMember,
        proposalParams.removeMember(outsider.address),
      );
      await expect(consortium.connect(validators[0]).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });
  });

  describe("RotateMemberKeys", () => {
    it("moves membership to the new validator address with the new key", async () => {
      const { consortium, validators, spare } = await loadFixture(deployAidProofFixture);
      const key = encryptionKeyFor("org-1-rotated");
      await expect(
        govern(
          consortium,
          validators.slice(0, 2),
          Action.RotateMemberKeys,
          proposalParams.rotateMemberKeys(validators[0].address, spare[0].address, key),
        ),
      )
        .to.emit(consortium, "MemberKeysRotated")
        .withArgs(validators[0].address, spare[0].address, key);
      expect(await consortium.isMember(validators[0].address)).to.equal(false);
      expect(await consortium.hasRole(ROLES.VALIDATOR, validators[0].address)).to.equal(false);
      const m = await consortium.member(spare[0].address);
      expect(m.name).to.equal("Org 1");
      expect(m.encryptionKey).to.equal(key);
    });

    it("rotates only the encryption key, voiding the member's earlier approvals", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const [a, b] = validators;
      await proposeWith(consortium, [a, b], Action.Pause, "0x"); // #1
      const key = encryptionKeyFor("org-2-rotated");
      await govern(
        consortium,
        [a, b],
        Action.RotateMemberKeys,
        proposalParams.rotateMemberKeys(b.address, b.address, key),
      );
      expect((await consortium.member(b.address)).encryptionKey).to.equal(key);
      expect(await consortium.approvalCount(1)).to.equal(1);
      await consortium.connect(b).approve(1);
      expect(await consortium.approvalCount(1)).to.equal(2);
    });

    it("rejects rotating onto an existing member", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const id = await proposeWith(
        consortium,
        validators,
        Action.RotateMemberKeys,
        proposalParams.rotateMemberKeys(validators[0].address, validators[1].address, encryptionKeyFor("x")),
      );
      await expect(consortium.connect(validators[0]).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumDuplicateMember")
        .withArgs(validators[1].address);
    });
  });

  describe("GrantRole / RevokeRole", () => {
    it("grants and revokes GATEWAY by proposal", async () => {
      const { consortium, validators, spare, gateway } = await loadFixture(deployAidProofFixture);
      await expect(
        govern(consortium, validators, Action.GrantRole, proposalParams.role(ROLES.GATEWAY, spare[0].address)),
      )
        .to.emit(consortium, "RoleGranted")
        .withArgs(ROLES.GATEWAY, spare[0].address, validators[0].address);
      expect(await consortium.hasRole(ROLES.GATEWAY, spare[0].address)).to.equal(true);
      await govern(consortium, validators, Action.RevokeRole, proposalParams.role(ROLES.GATEWAY, gateway.address));
      expect(await consortium.hasRole(ROLES.GATEWAY, gateway.address)).to.equal(false);
    });

    it("refuses VALIDATOR and DEFAULT_ADMIN role changes", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      const id = await proposeWith(
        consortium,
        validators,
        Action.GrantRole,
        proposalParams.role(ROLES.VALIDATOR, outsider.address),
      );
      await expect(consortium.connect(validators[0]).execute(id))
        .to.be.revertedWithCustomError(consortium, "ConsortiumRoleNotAssignable")
        .withArgs(ROLES.VALIDATOR);
      const admin = await proposeWith(
        consortium,
        validators,
        Action.GrantRole,
        proposalParams.role(ethers.ZeroHash, outsider.address),
      );
      await expect(consortium.connect(validators[0]).execute(admin))
        .to.be.revertedWithCustomError(consortium, "ConsortiumRoleNotAssignable")
        .withArgs(ethers.ZeroHash);
    });

    it("has no admin: direct grantRole reverts for everyone", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      await expect(consortium.connect(validators[0]).grantRole(ROLES.GATEWAY, outsider.address))
        .to.be.revertedWithCustomError(consortium, "AccessControlUnauthorizedAccount")
        .withArgs(validators[0].address, ethers.ZeroHash);
    });
  });

  describe("renounceRole", () => {
    it("lets a gateway renounce its role but not a validator", async () => {
      const { consortium, validators, gateway } = await loadFixture(deployAidProofFixture);
      await consortium.connect(gateway).renounceRole(ROLES.GATEWAY, gateway.address);
      expect(await consortium.hasRole(ROLES.GATEWAY, gateway.address)).to.equal(false);
      await expect(consortium.connect(validators[0]).renounceRole(ROLES.VALIDATOR, validators[0].address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumRoleNotAssignable")
        .withArgs(ROLES.VALIDATOR);
    });
  });

  describe("SetFeeRate", () => {
    it("changes the management fee only through an executed proposal, up to 100%", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      expect(await consortium.feeRate()).to.equal(0);
      const pending = await proposeWith(
        consortium,
        validators.slice(0, 1),
        Action.SetFeeRate,
        proposalParams.feeRate(800),
      );
      expect(await consortium.feeRate()).to.equal(0); // proposed, one approval of M = 2: nothing changes
      await consortium.connect(validators[1]).approve(pending);
      await expect(consortium.connect(validators[0]).execute(pending))
        .to.emit(consortium, "FeeRateChanged")
        .withArgs(0, 800);
      expect(await consortium.feeRate()).to.equal(800);
      const tooHigh = await proposeWith(consortium, validators, Action.SetFeeRate, proposalParams.feeRate(10_001));
      await expect(consortium.connect(validators[0]).execute(tooHigh))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidFeeRate")
        .withArgs(10_001);
    });
  });

  describe("SetJuryRules", () => {
    it("changes the jury rules only through an executed proposal, and refuses rules that cannot draw", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const rules = { ...PRODUCTION_JURY_RULES, votingSeconds: 3600, minValidVotes: 10 };
      const pending = await proposeWith(
        consortium,
        validators.slice(0, 1),
        Action.SetJuryRules,
        proposalParams.juryRules(rules),
      );
      expect((await consortium.juryRules()).votingSeconds).to.equal(PRODUCTION_JURY_RULES.votingSeconds);
      await consortium.connect(validators[1]).approve(pending);
      await expect(consortium.connect(validators[0]).execute(pending)).to.emit(consortium, "JuryRulesChanged");
      expect((await consortium.juryRules()).votingSeconds).to.equal(3600);
      for (const bad of [
        { ...rules, minPoolSize: rules.rosterSize }, // the roster would be the whole pool
        { ...rules, votingSeconds: 0 },
        { ...rules, minValidVotes: rules.rosterSize + 1 },
        { ...rules, majorityBps: 4_999 },
      ]) {
        const id = await proposeWith(consortium, validators, Action.SetJuryRules, proposalParams.juryRules(bad));
        await expect(consortium.connect(validators[0]).execute(id)).to.be.revertedWithCustomError(
          consortium,
          "ConsortiumInvalidJuryRules",
        );
      }
    });
  });

  describe("SetThreshold", () => {
    it("rejects an M that is not more than half of N (N = 3: 1 refused; N = 4: 2 refused, 3 accepted)", async () => {
      const { consortium, validators, spare } = await loadFixture(deployAidProofFixture);
      const one = await proposeWith(consortium, validators, Action.SetThreshold, proposalParams.threshold(1));
      await expect(consortium.connect(validators[0]).execute(one))
        .to.be.revertedWithCustomError(consortium, "ConsortiumThresholdNotMajority")
        .withArgs(1, 3);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3));
      const fourth = proposalParams.addMember(spare[0].address, "Org 4", encryptionKeyFor("org-4"));
      await govern(consortium, validators, Action.AddMember, fourth);
      const members = [...validators, spare[0]];
      const two = await proposeWith(consortium, members, Action.SetThreshold, proposalParams.threshold(2));
      await expect(consortium.connect(validators[0]).execute(two))
        .to.be.revertedWithCustomError(consortium, "ConsortiumThresholdNotMajority")
        .withArgs(2, 4);
      await expect(govern(consortium, members, Action.SetThreshold, proposalParams.threshold(3)))
        .to.emit(consortium, "ThresholdChanged")
        .withArgs(3, 3);
    });

    it("refuses to add a member that would leave M at half of N, and a constructor with M <= N/2", async () => {
      const { consortium, validators, spare } = await loadFixture(deployAidProofFixture);
      const add = await proposeWith(
        consortium,
        validators,
        Action.AddMember,
        proposalParams.addMember(spare[0].address, "Org 4", encryptionKeyFor("org-4")),
      );
      await expect(consortium.connect(validators[0]).execute(add))
        .to.be.revertedWithCustomError(consortium, "ConsortiumThresholdNotMajority")
        .withArgs(2, 4);
      const [deployer, a, b] = await ethers.getSigners();
      const members = [a, b].map((m, i) => ({
        account: m.address,
        name: `M${i}`,
        encryptionKey: encryptionKeyFor(`m${i}`),
      }));
      await expect(new Consortium__factory(deployer).deploy(members, 1, [], PRODUCTION_JURY_RULES))
        .to.be.revertedWithCustomError(consortium, "ConsortiumThresholdNotMajority")
        .withArgs(1, 2);
    });

    it("rejects 0 and M > N", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      const zero = await proposeWith(consortium, validators, Action.SetThreshold, proposalParams.threshold(0));
      await expect(consortium.connect(validators[0]).execute(zero))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidThreshold")
        .withArgs(0, 3);
      const four = await proposeWith(consortium, validators, Action.SetThreshold, proposalParams.threshold(4));
      await expect(consortium.connect(validators[0]).execute(four))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidThreshold")
        .withArgs(4, 3);
    });
  });

  describe("Pause / Unpause", () => {
    it("pauses and unpauses by proposal", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      await expect(govern(consortium, validators, Action.Pause, "0x")).to.emit(consortium, "Paused");
      expect(await consortium.paused()).to.equal(true);
      const again = await proposeWith(consortium, validators, Action.Pause, "0x");
      await expect(consortium.connect(validators[0]).execute(again)).to.be.revertedWithCustomError(
        consortium,
        "EnforcedPause",
      );
      await expect(govern(consortium, validators, Action.Unpause, "0x")).to.emit(consortium, "Unpaused");
      expect(await consortium.paused()).to.equal(false);
    });

    it("counts the time spent paused, the current pause included", async () => {
      const { consortium, validators } = await loadFixture(deployAidProofFixture);
      expect(await consortium.pausedTime()).to.equal(0);
      await govern(consortium, validators, Action.Pause, "0x");
      const pausedAt = await time.latest();
      await time.increase(100);
      expect(await consortium.pausedTime()).to.equal((await time.latest()) - pausedAt);
      await govern(consortium, validators, Action.Unpause, "0x");
      const total = await consortium.pausedTime();
      await time.increase(50);
      expect(await consortium.pausedTime()).to.equal(total);
    });
  });

  describe("admissionOf", () => {
    it("gives each admission a new number and 0 to non-members", async () => {
      const { consortium, validators, outsider } = await loadFixture(deployAidProofFixture);
      const admissions = await Promise.all(validators.map((v) => consortium.admissionOf(v.address)));
      expect(new Set(admissions.map(String)).size).to.equal(3);
      expect(await consortium.admissionOf(outsider.address)).to.equal(0);
      await govern(consortium, validators, Action.RemoveMember, proposalParams.removeMember(validators[2].address));
      expect(await consortium.admissionOf(validators[2].address)).to.equal(0);
    });
  });
});

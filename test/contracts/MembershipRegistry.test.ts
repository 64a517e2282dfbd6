import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id } from "ethers";
import { deployAidProofFixture } from "../fixtures";
import { ROLES } from "../../scripts/deploy/deployAidProof";

const CID = "bafkreimembershipbatch";

describe("MembershipRegistry", () => {
  describe("recordBatch", () => {
    it("orders and timestamps batches recorded by a gateway", async () => {
      const { membershipRegistry, gateway } = await loadFixture(deployAidProofFixture);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(membershipRegistry.connect(gateway).recordBatch(3, 1, CID))
        .to.emit(membershipRegistry, "MembershipBatchRecorded")
        .withArgs(0, 3, 1, CID, at, gateway.address);
      expect(await membershipRegistry.batchCount()).to.equal(1);
      expect(await membershipRegistry.batch(0)).to.deep.equal([id(CID), BigInt(at)]);
    });

    it("refuses an outsider, an empty batch and a batch without a CID", async () => {
      const { membershipRegistry, gateway, outsider } = await loadFixture(deployAidProofFixture);
      await expect(membershipRegistry.connect(outsider).recordBatch(1, 0, CID))
        .to.be.revertedWithCustomError(membershipRegistry, "ConsortiumGatedUnauthorizedAccount")
        .withArgs(outsider.address, ROLES.GATEWAY);
      await expect(membershipRegistry.connect(gateway).recordBatch(0, 0, CID))
        .to.be.revertedWithCustomError(membershipRegistry, "MembershipRegistryEmptyBatch")
        .withArgs(0, 0, CID);
      await expect(membershipRegistry.connect(gateway).recordBatch(1, 0, ""))
        .to.be.revertedWithCustomError(membershipRegistry, "MembershipRegistryEmptyBatch")
        .withArgs(1, 0, "");
      await expect(membershipRegistry.batch(0))
        .to.be.revertedWithCustomError(membershipRegistry, "MembershipRegistryUnknownBatch")
        .withArgs(0);
    });
  });

  describe("batchesBefore", () => {
    it("counts the batches recorded strictly before a timestamp", async () => {
      const { membershipRegistry, gateway } = await loadFixture(deployAidProofFixture);
      await membershipRegistry.connect(gateway).recordBatch(1, 0, CID);
      const first = await time.latest();
      await time.increase(100);
      await membershipRegistry.connect(gateway).recordBatch(0, 1, CID);
      const second = await time.latest();
      expect(await membershipRegistry.batchesBefore(first)).to.equal(0);
      expect(await membershipRegistry.batchesBefore(first + 1)).to.equal(1);
      expect(await membershipRegistry.batchesBefore(second)).to.equal(1);
      expect(await membershipRegistry.batchesBefore(second + 1)).to.equal(2);
      expect(await membershipRegistry.batchesBefore(0)).to.equal(0);
    });
  });
});

import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { DISPUTE_WINDOW, deployAidProofFixture, encryptionKeyFor } from "../fixtures";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { parseDeploymentConfig } from "../../scripts/deploy/deploymentConfig";

describe("deployAidProof", () => {
  describe("deployAidProof", () => {
    it("wires the contracts to one consortium and grants only the configured roles", async () => {
      const { consortium, evidenceRegistry, claimRegistry, juryCourt, addresses, validators, gateway, deployer } =
        await loadFixture(deployAidProofFixture);
      for (const gated of [evidenceRegistry, claimRegistry, juryCourt]) {
        expect(await gated.consortium()).to.equal(addresses.consortium);
      }
      expect(await juryCourt.claimRegistry()).to.equal(addresses.claimRegistry);
      expect(await consortium.hasRole(ROLES.JURY_COURT, addresses.juryCourt)).to.equal(true);
      expect(await consortium.hasRole(ROLES.GATEWAY, gateway.address)).to.equal(true);
      expect(await consortium.threshold()).to.equal(2);
      expect([...(await consortium.members())]).to.have.members(validators.map((v) => v.address));
      expect(await claimRegistry.disputeWindow()).to.equal(DISPUTE_WINDOW);
      // The deployer keeps no power: no admin, no role.
      for (const role of [ROLES.VALIDATOR, ROLES.GATEWAY, ROLES.JURY_COURT, await consortium.DEFAULT_ADMIN_ROLE()]) {
        expect(await consortium.hasRole(role, deployer.address)).to.equal(false);
      }
    });
  });

  describe("parseDeploymentConfig", () => {
    const valid = {
      members: [{ account: "0x" + "11".repeat(20), name: "Org", encryptionKey: encryptionKeyFor("org") }],
      threshold: 1,
      gateways: [],
      disputeWindowSeconds: 60,
      announcementPeriodSeconds: 3600,
    };

    it("accepts a valid config", () => {
      expect(parseDeploymentConfig(valid)).to.deep.equal(valid);
    });

    it("names each invalid field", () => {
      expect(() => parseDeploymentConfig({ ...valid, threshold: 2 })).to.throw(/threshold must not exceed/);
      expect(() => parseDeploymentConfig({ ...valid, gateways: ["0x12"] })).to.throw(/gateways/);
      expect(() =>
        parseDeploymentConfig({ ...valid, members: [{ ...valid.members[0], encryptionKey: "0x04" }] }),
      ).to.throw(/compressed secp256k1/);
    });
  });
});

import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, id, keccak256, toUtf8Bytes } from "ethers";
import { deployAidProofFixture } from "../fixtures";
import { Action, govern, proposalParams } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import {
  buildEvidenceTree,
  EVIDENCE_LEAF_ENCODING,
  evidenceLeafValues,
  EvidenceKind,
  type EvidenceLeaf,
} from "../../api/src/chain/evidenceLeaf";

const MANIFEST = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
const Status = { None: 0, Pending: 1, Confirmed: 2, Rejected: 3 };

function leaves(n: number, claimant: string): EvidenceLeaf[] {
  return Array.from({ length: n }, (_, i) => ({
    claimId: BigInt(1 + (i % 7)),
    claimant,
    contentHash: id(`evidence-${i}`),
    kind: i % 2 === 0 ? EvidenceKind.Private : EvidenceKind.Public,
    cid: `bafkrei-test-${i}`,
  }));
}

async function anchoredFixture() {
  const f = await deployAidProofFixture();
  const items = leaves(3, f.claimant.address);
  const tree = buildEvidenceTree(items);
  await f.evidenceRegistry.connect(f.gateway).anchorBatch(tree.root, items.length, MANIFEST);
  return { ...f, items, tree, root: tree.root };
}

describe("EvidenceRegistry", () => {
  describe("anchorBatch", () => {
    it("stores the batch and emits BatchAnchored", async () => {
      const { evidenceRegistry, gateway, claimant } = await loadFixture(deployAidProofFixture);
      const tree = buildEvidenceTree(leaves(2, claimant.address));
      await expect(evidenceRegistry.connect(gateway).anchorBatch(tree.root, 2, MANIFEST))
        .to.emit(evidenceRegistry, "BatchAnchored")
        .withArgs(tree.root, 0, gateway.address, 2, MANIFEST);
      const b = await evidenceRegistry.batch(tree.root);
      expect(b.index).to.equal(0);
      expect(b.leafCount).to.equal(2);
      expect(b.status).to.equal(Status.Pending);
      expect(b.manifestCidHash).to.equal(keccak256(toUtf8Bytes(MANIFEST)));
      expect(await evidenceRegistry.batchCount()).to.equal(1);
    });

    it("reverts when the same root is anchored twice", async () => {
      const { evidenceRegistry, gateway, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(gateway).anchorBatch(root, 3, MANIFEST))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryBatchAlreadyAnchored")
        .withArgs(root);
    });

    it("reverts for a zero root, zero leaves or an empty manifest CID", async () => {
      const { evidenceRegistry, gateway } = await loadFixture(deployAidProofFixture);
      const root = id("root");
      for (const [r, n, cid] of [
        [ZeroHash, 1, MANIFEST],
        [root, 0, MANIFEST],
        [root, 1, ""],
      ] as const) {
        await expect(evidenceRegistry.connect(gateway).anchorBatch(r, n, cid))
          .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryInvalidBatch")
          .withArgs(r, n, cid);
      }
    });

    it("reverts for an outsider and a validator", async () => {
      const { evidenceRegistry, outsider, validators } = await loadFixture(deployAidProofFixture);
      for (const caller of [outsider, validators[0]]) {
        await expect(evidenceRegistry.connect(caller).anchorBatch(id("r"), 1, MANIFEST))
          .to.be.revertedWithCustomError(evidenceRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.GATEWAY);
      }
    });

    it("reverts while the consortium is paused", async () => {
      const { consortium, evidenceRegistry, gateway, validators } = await loadFixture(deployAidProofFixture);
      await govern(consortium, validators, Action.Pause, proposalParams.none);
      await expect(evidenceRegistry.connect(gateway).anchorBatch(id("r"), 1, MANIFEST)).to.be.revertedWithCustomError(
        evidenceRegistry,
        "ConsortiumGatedPaused",
      );
    });
  });

  describe("attestBatch", () => {
    it("confirms at M valid attestations and keeps recording later ones", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(root, true))
        .to.emit(evidenceRegistry, "BatchAttested")
        .withArgs(root, validators[0].address, true)
        .and.not.to.emit(evidenceRegistry, "BatchConfirmed");
      await expect(evidenceRegistry.connect(validators[1]).attestBatch(root, true))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2);
      await expect(evidenceRegistry.connect(validators[2]).attestBatch(root, false))
        .to.emit(evidenceRegistry, "BatchAttested")
        .withArgs(root, validators[2].address, false)
        .and.not.to.emit(evidenceRegistry, "BatchRejected");
      expect((await evidenceRegistry.batch(root)).status).to.equal(Status.Confirmed);
      const [valid, invalid] = await evidenceRegistry.attestations(root);
      expect([...valid]).to.deep.equal([validators[0].address, validators[1].address]);
      expect([...invalid]).to.deep.equal([validators[2].address]);
    });

    it("rejects at M invalid attestations", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await evidenceRegistry.connect(validators[0]).attestBatch(root, false);
      await expect(evidenceRegistry.connect(validators[1]).attestBatch(root, false))
        .to.emit(evidenceRegistry, "BatchRejected")
        .withArgs(root, 2);
      expect((await evidenceRegistry.batch(root)).status).to.equal(Status.Rejected);
    });

    it("lets each validator attest once", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await evidenceRegistry.connect(validators[0]).attestBatch(root, true);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(root, false))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryAlreadyAttested")
        .withArgs(root, validators[0].address);
    });

    it("does not count the attestation of a validator removed since", async () => {
      const { consortium, evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      const [a, b, c] = validators;
      await evidenceRegistry.connect(c).attestBatch(root, true);
      await govern(consortium, [a, b], Action.RemoveMember, proposalParams.removeMember(c.address));
      await expect(evidenceRegistry.connect(a).attestBatch(root, true)).not.to.emit(evidenceRegistry, "BatchConfirmed");
      await expect(evidenceRegistry.connect(b).attestBatch(root, true))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2);
    });

    it("reverts for an unknown batch, an outsider and the gateway", async () => {
      const { evidenceRegistry, validators, outsider, gateway, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(id("nope"), true))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryUnknownBatch")
        .withArgs(id("nope"));
      for (const caller of [outsider, gateway]) {
        await expect(evidenceRegistry.connect(caller).attestBatch(root, true))
          .to.be.revertedWithCustomError(evidenceRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.VALIDATOR);
      }
    });
  });

  describe("batch / attestations", () => {
    it("revert for an unknown root", async () => {
      const { evidenceRegistry } = await loadFixture(deployAidProofFixture);
      await expect(evidenceRegistry.batch(id("x")))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryUnknownBatch")
        .withArgs(id("x"));
      await expect(evidenceRegistry.attestations(id("x")))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryUnknownBatch")
        .withArgs(id("x"));
    });
  });

  describe("verifyEvidence", () => {
    for (const n of [1, 2, 3, 1000]) {
      it(`verifies every proof of a ${n}-leaf tree made by @openzeppelin/merkle-tree`, async () => {
        const { evidenceRegistry, gateway, claimant } = await loadFixture(deployAidProofFixture);
        const items = leaves(n, claimant.address);
        const tree = StandardMerkleTree.of(items.map(evidenceLeafValues), [...EVIDENCE_LEAF_ENCODING]);
        const ours = buildEvidenceTree(items);
        expect(ours.root).to.equal(tree.root);
        await evidenceRegistry.connect(gateway).anchorBatch(tree.root, n, MANIFEST);
        const sample = n <= 3 ? items.map((_, i) => i) : [0, 1, 499, 998, 999];
        for (const i of sample) {
          const leaf = items[i];
          expect(await evidenceRegistry.evidenceLeafHash(leaf))
            .to.equal(tree.leafHash(tree.at(i)!))
            .and.to.equal(ours.leafHash(i));
          expect(ours.getProof(i)).to.deep.equal(tree.getProof(i));
          expect(await evidenceRegistry.verifyEvidence(tree.root, tree.getProof(i), leaf)).to.equal(true);
        }
      });
    }

    it("fails for a changed field in the leaf", async () => {
      const { evidenceRegistry, items, tree, root, outsider } = await loadFixture(anchoredFixture);
      const proof = tree.getProof(1);
      const changed: EvidenceLeaf[] = [
        { ...items[1], claimId: items[1].claimId + 1n },
        { ...items[1], claimant: outsider.address },
        { ...items[1], contentHash: id("tampered") },
        { ...items[1], kind: items[1].kind === 0 ? 1 : 0 },
        { ...items[1], cid: items[1].cid + "x" },
      ];
      for (const leaf of changed) expect(await evidenceRegistry.verifyEvidence(root, proof, leaf)).to.equal(false);
    });

    it("fails for a proof of another batch and for a root never anchored", async () => {
      const { evidenceRegistry, gateway, items, tree, root, claimant } = await loadFixture(anchoredFixture);
      const other = buildEvidenceTree(leaves(4, claimant.address).slice(1));
      await evidenceRegistry.connect(gateway).anchorBatch(other.root, 3, MANIFEST);
      expect(await evidenceRegistry.verifyEvidence(other.root, tree.getProof(0), items[0])).to.equal(false);
      const unanchored = buildEvidenceTree(items.slice(0, 2));
      expect(await evidenceRegistry.verifyEvidence(unanchored.root, unanchored.getProof(0), items[0])).to.equal(false);
      expect(await evidenceRegistry.verifyEvidence(root, tree.getProof(0), items[0])).to.equal(true);
    });
  });
});

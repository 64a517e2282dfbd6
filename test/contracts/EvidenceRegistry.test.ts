import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroHash, id, keccak256, toUtf8Bytes } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { deployAidProofFixture, encryptionKeyFor } from "../fixtures";
import { Action, govern, proposalParams, removeAndReadmit } from "../helpers/governance";
import { ROLES } from "../../scripts/deploy/deployAidProof";
import {
  buildEvidenceTree,
  EVIDENCE_LEAF_ENCODING,
  evidenceLeafValues,
  EvidenceKind,
  type EvidenceLeaf,
} from "../../api/src/chain/evidenceLeaf";
import { batchHeader, batchRoot } from "../../api/src/chain/evidenceTree";
import type { EvidenceRegistry } from "../../typechain-types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

const MANIFEST = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy";
const SALT = id("salt");
const Status = { None: 0, Pending: 1, Confirmed: 2, Rejected: 3 };
const NONE: string[] = [];

function leaves(n: number, claimant: string): EvidenceLeaf[] {
  return Array.from({ length: n }, (_, i) => ({
    claimId: BigInt(1 + (i % 7)),
    claimant,
    contentHash: id(`evidence-${i}`),
    kind: i % 2 === 0 ? EvidenceKind.Private : EvidenceKind.Public,
    cid: `bafkrei-test-${i}`,
  }));
}

const verdictHash = (valid: boolean, invalidLeaves: string[]) =>
  keccak256(AbiCoder.defaultAbiCoder().encode(["bool", "bytes32[]"], [valid, invalidLeaves]));

/** Anchors `items` as `gateway`; returns the stored root and each item's on-chain proof. */
async function anchor(registry: EvidenceRegistry, gateway: HardhatEthersSigner, items: EvidenceLeaf[], salt = SALT) {
  const tree = buildEvidenceTree(items);
  await registry.connect(gateway).anchorBatch(tree.root, salt, items.length, MANIFEST);
  const header = batchHeader(gateway.address, salt);
  return {
    root: batchRoot(gateway.address, tree.root, salt),
    tree,
    proof: (i: number) => [...tree.getProof(i), header],
  };
}

async function anchoredFixture() {
  const f = await deployAidProofFixture();
  const items = leaves(3, f.claimant.address);
  return { ...f, items, ...(await anchor(f.evidenceRegistry, f.gateway, items)) };
}

describe("EvidenceRegistry", () => {
  describe("anchorBatch", () => {
    it("stores the batch under the root bound to its gateway and emits BatchAnchored", async () => {
      const { evidenceRegistry, gateway, claimant } = await loadFixture(deployAidProofFixture);
      const tree = buildEvidenceTree(leaves(2, claimant.address));
      const root = batchRoot(gateway.address, tree.root, SALT);
      expect(await evidenceRegistry.batchRoot(gateway.address, tree.root, SALT)).to.equal(root);
      expect(await evidenceRegistry.batchHeader(gateway.address, SALT)).to.equal(batchHeader(gateway.address, SALT));
      await expect(evidenceRegistry.connect(gateway).anchorBatch(tree.root, SALT, 2, MANIFEST))
        .to.emit(evidenceRegistry, "BatchAnchored")
        .withArgs(root, 0, gateway.address, tree.root, SALT, 2, MANIFEST);
      const b = await evidenceRegistry.batch(root);
      expect(b.index).to.equal(0);
      expect(b.leafCount).to.equal(2);
      expect(b.status).to.equal(Status.Pending);
      expect(b.manifestCidHash).to.equal(keccak256(toUtf8Bytes(MANIFEST)));
      expect(await evidenceRegistry.batchCount()).to.equal(1);
    });

    it("reverts when the same gateway anchors the same leaves and salt twice", async () => {
      const { evidenceRegistry, gateway, tree, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(gateway).anchorBatch(tree.root, SALT, 3, MANIFEST))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryBatchAlreadyAnchored")
        .withArgs(root);
    });

    it("does not let a second gateway take a batch's root by anchoring the same leaves first", async () => {
      const { consortium, evidenceRegistry, gateway, validators, spare, claimant } =
        await loadFixture(deployAidProofFixture);
      const rival = spare[0];
      await govern(consortium, validators, Action.GrantRole, proposalParams.role(ROLES.GATEWAY, rival.address));
      const items = leaves(3, claimant.address);
      const front = await anchor(evidenceRegistry, rival, items); // front-runs with the same leaves and salt
      const honest = await anchor(evidenceRegistry, gateway, items);
      expect(honest.root).to.not.equal(front.root);
      expect((await evidenceRegistry.batch(honest.root)).status).to.equal(Status.Pending);
      expect(await evidenceRegistry.verifyEvidence(honest.root, front.proof(0), items[0])).to.equal(false);
      expect(await evidenceRegistry.verifyEvidence(honest.root, honest.proof(0), items[0])).to.equal(true);
    });

    it("reverts for a zero root, zero leaves or an empty manifest CID", async () => {
      const { evidenceRegistry, gateway } = await loadFixture(deployAidProofFixture);
      const root = id("root");
      for (const [r, n, cid] of [
        [ZeroHash, 1, MANIFEST],
        [root, 0, MANIFEST],
        [root, 1, ""],
      ] as const) {
        await expect(evidenceRegistry.connect(gateway).anchorBatch(r, SALT, n, cid))
          .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryInvalidBatch")
          .withArgs(r, n, cid);
      }
    });

    it("reverts for an outsider and a validator", async () => {
      const { evidenceRegistry, outsider, validators } = await loadFixture(deployAidProofFixture);
      for (const caller of [outsider, validators[0]]) {
        await expect(evidenceRegistry.connect(caller).anchorBatch(id("r"), SALT, 1, MANIFEST))
          .to.be.revertedWithCustomError(evidenceRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.GATEWAY);
      }
    });

    it("reverts while the consortium is paused", async () => {
      const { consortium, evidenceRegistry, gateway, validators } = await loadFixture(deployAidProofFixture);
      await govern(consortium, validators, Action.Pause, proposalParams.none);
      await expect(
        evidenceRegistry.connect(gateway).anchorBatch(id("r"), SALT, 1, MANIFEST),
      ).to.be.revertedWithCustomError(evidenceRegistry, "ConsortiumGatedPaused");
    });
  });

  describe("attestBatch", () => {
    it("confirms at M matching verdicts and keeps recording later ones", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(root, true, NONE))
        .to.emit(evidenceRegistry, "BatchAttested")
        .withArgs(root, validators[0].address, true, verdictHash(true, NONE), NONE)
        .and.not.to.emit(evidenceRegistry, "BatchConfirmed");
      await expect(evidenceRegistry.connect(validators[1]).attestBatch(root, true, NONE))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2, NONE);
      await expect(evidenceRegistry.connect(validators[2]).attestBatch(root, false, NONE))
        .to.emit(evidenceRegistry, "BatchAttested")
        .withArgs(root, validators[2].address, false, verdictHash(false, NONE), NONE)
        .and.not.to.emit(evidenceRegistry, "BatchRejected");
      expect((await evidenceRegistry.batch(root)).status).to.equal(Status.Confirmed);
      const [valid, invalid] = await evidenceRegistry.attestations(root);
      expect([...valid]).to.deep.equal([validators[0].address, validators[1].address]);
      expect([...invalid]).to.deep.equal([validators[2].address]);
      const mine = await evidenceRegistry.attestationOf(root, validators[0].address);
      expect([mine.valid, mine.verdictHash]).to.deep.equal([true, verdictHash(true, NONE)]);
    });

    it("rejects at M invalid verdicts", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await evidenceRegistry.connect(validators[0]).attestBatch(root, false, NONE);
      await expect(evidenceRegistry.connect(validators[1]).attestBatch(root, false, NONE))
        .to.emit(evidenceRegistry, "BatchRejected")
        .withArgs(root, 2);
      expect((await evidenceRegistry.batch(root)).status).to.equal(Status.Rejected);
    });

    it("confirms the other leaves and excludes the one M validators named invalid", async () => {
      const { evidenceRegistry, validators, root, tree, items, proof } = await loadFixture(anchoredFixture);
      const bad = [tree.leafHash(1)];
      await evidenceRegistry.connect(validators[0]).attestBatch(root, true, NONE);
      await expect(evidenceRegistry.connect(validators[1]).attestBatch(root, true, bad)).not.to.emit(
        evidenceRegistry,
        "BatchConfirmed",
      ); // different verdicts do not add up
      await expect(evidenceRegistry.connect(validators[2]).attestBatch(root, true, bad))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2, bad);
      expect(await evidenceRegistry.isExcluded(root, bad[0])).to.equal(true);
      expect(await evidenceRegistry.verifyEvidence(root, proof(1), items[1])).to.equal(false);
      for (const i of [0, 2]) expect(await evidenceRegistry.verifyEvidence(root, proof(i), items[i])).to.equal(true);
    });

    it("refuses malformed verdicts: unsorted or repeated leaves, more than the batch has, leaves on an invalid verdict", async () => {
      const { evidenceRegistry, validators, root, tree } = await loadFixture(anchoredFixture);
      const sorted = [0, 1, 2].map((i) => tree.leafHash(i)).sort();
      for (const [valid, list] of [
        [true, [sorted[1], sorted[0]]],
        [true, [sorted[0], sorted[0]]],
        [true, [...sorted, id("extra")].sort()],
        [false, [sorted[0]]],
      ] as const) {
        await expect(evidenceRegistry.connect(validators[0]).attestBatch(root, valid, [...list]))
          .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryInvalidVerdict")
          .withArgs(root, valid, list.length);
      }
    });

    it("lets each validator attest once per admission", async () => {
      const { evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      await evidenceRegistry.connect(validators[0]).attestBatch(root, true, NONE);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(root, false, NONE))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryAlreadyAttested")
        .withArgs(root, validators[0].address);
    });

    it("does not count the attestation of a validator removed since", async () => {
      const { consortium, evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      const [a, b, c] = validators;
      await evidenceRegistry.connect(c).attestBatch(root, true, NONE);
      await govern(consortium, [a, b], Action.RemoveMember, proposalParams.removeMember(c.address));
      await expect(evidenceRegistry.connect(a).attestBatch(root, true, NONE)).not.to.emit(
        evidenceRegistry,
        "BatchConfirmed",
      );
      await expect(evidenceRegistry.connect(b).attestBatch(root, true, NONE))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2, NONE);
    });

    it("does not count it again when the address is admitted again, and lets the new admission attest", async () => {
      const { consortium, evidenceRegistry, validators, root } = await loadFixture(anchoredFixture);
      const [a, b, c] = validators;
      await evidenceRegistry.connect(c).attestBatch(root, true, NONE);
      await removeAndReadmit(consortium, [a, b], c, "Org 3", encryptionKeyFor("org-3"));
      await expect(evidenceRegistry.connect(a).attestBatch(root, true, NONE)).not.to.emit(
        evidenceRegistry,
        "BatchConfirmed",
      );
      await expect(evidenceRegistry.connect(c).attestBatch(root, true, NONE))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2, NONE);
    });

    it("reverts for an unknown batch, an outsider and the gateway", async () => {
      const { evidenceRegistry, validators, outsider, gateway, root } = await loadFixture(anchoredFixture);
      await expect(evidenceRegistry.connect(validators[0]).attestBatch(id("nope"), true, NONE))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryUnknownBatch")
        .withArgs(id("nope"));
      for (const caller of [outsider, gateway]) {
        await expect(evidenceRegistry.connect(caller).attestBatch(root, true, NONE))
          .to.be.revertedWithCustomError(evidenceRegistry, "ConsortiumGatedUnauthorizedAccount")
          .withArgs(caller.address, ROLES.VALIDATOR);
      }
    });
  });

  describe("finalizeBatch", () => {
    it("applies a verdict that reached the quorum once the threshold was lowered, and not before", async () => {
      const { consortium, evidenceRegistry, validators, outsider, root } = await loadFixture(anchoredFixture);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(3));
      for (const v of validators.slice(0, 2)) await evidenceRegistry.connect(v).attestBatch(root, true, NONE);
      await expect(evidenceRegistry.connect(outsider).finalizeBatch(root, true, NONE))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryQuorumNotReached")
        .withArgs(root, verdictHash(true, NONE), 2, 3);
      await govern(consortium, validators, Action.SetThreshold, proposalParams.threshold(2));
      await expect(evidenceRegistry.connect(outsider).finalizeBatch(root, true, NONE))
        .to.emit(evidenceRegistry, "BatchConfirmed")
        .withArgs(root, 2, NONE);
      await expect(evidenceRegistry.finalizeBatch(root, true, NONE))
        .to.be.revertedWithCustomError(evidenceRegistry, "EvidenceRegistryBatchDecided")
        .withArgs(root, Status.Confirmed);
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
      it(`verifies every proof of a ${n}-leaf tree made by @openzeppelin/merkle-tree, with the batch header`, async () => {
        const { evidenceRegistry, gateway, claimant } = await loadFixture(deployAidProofFixture);
        const items = leaves(n, claimant.address);
        const tree = StandardMerkleTree.of(items.map(evidenceLeafValues), [...EVIDENCE_LEAF_ENCODING]);
        const ours = buildEvidenceTree(items);
        expect(ours.root).to.equal(tree.root);
        await evidenceRegistry.connect(gateway).anchorBatch(tree.root, SALT, n, MANIFEST);
        const root = batchRoot(gateway.address, tree.root, SALT);
        const header = batchHeader(gateway.address, SALT);
        const sample = n <= 3 ? items.map((_, i) => i) : [0, 1, 499, 998, 999];
        for (const i of sample) {
          const leaf = items[i];
          expect(await evidenceRegistry.evidenceLeafHash(leaf))
            .to.equal(tree.leafHash(tree.at(i)!))
            .and.to.equal(ours.leafHash(i));
          expect(ours.getProof(i)).to.deep.equal(tree.getProof(i));
          const proof = [...tree.getProof(i), header];
          expect(
            StandardMerkleTree.verify(root, [...EVIDENCE_LEAF_ENCODING], evidenceLeafValues(leaf), proof),
          ).to.equal(true);
          expect(await evidenceRegistry.verifyEvidence(root, proof, leaf)).to.equal(true);
        }
      });
    }

    it("fails for a changed field in the leaf", async () => {
      const { evidenceRegistry, items, root, proof, outsider } = await loadFixture(anchoredFixture);
      const changed: EvidenceLeaf[] = [
        { ...items[1], claimId: items[1].claimId + 1n },
        { ...items[1], claimant: outsider.address },
        { ...items[1], contentHash: id("tampered") },
        { ...items[1], kind: items[1].kind === 0 ? 1 : 0 },
        { ...items[1], cid: items[1].cid + "x" },
      ];
      for (const leaf of changed) expect(await evidenceRegistry.verifyEvidence(root, proof(1), leaf)).to.equal(false);
    });

    it("fails for a proof of another batch, a root never anchored and a rejected batch", async () => {
      const { evidenceRegistry, gateway, validators, items, root, proof, claimant } =
        await loadFixture(anchoredFixture);
      const other = await anchor(evidenceRegistry, gateway, leaves(4, claimant.address).slice(1), id("other"));
      expect(await evidenceRegistry.verifyEvidence(other.root, proof(0), items[0])).to.equal(false);
      const unanchored = buildEvidenceTree(items.slice(0, 2));
      expect(await evidenceRegistry.verifyEvidence(unanchored.root, unanchored.getProof(0), items[0])).to.equal(false);
      expect(await evidenceRegistry.verifyEvidence(root, proof(0), items[0])).to.equal(true);
      for (const v of validators.slice(0, 2)) await evidenceRegistry.connect(v).attestBatch(root, false, NONE);
      expect(await evidenceRegistry.verifyEvidence(root, proof(0), items[0])).to.equal(false);
    });
  });
});

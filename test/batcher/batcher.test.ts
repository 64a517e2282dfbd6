import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import { Batcher } from "../../api/src/batcher/batcher";
import { buildManifest, manifestLeaf } from "../../api/src/batcher/manifest";
import { buildEvidenceTree } from "../../api/src/chain/evidenceLeaf";
import { batchRoot } from "../../api/src/chain/evidenceTree";
import { createLogger } from "../../api/src/logger";
import { Metrics } from "../../api/src/metrics";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, stackInfo, upload } from "../support/evidence";

describe("Batcher", function () {
  this.timeout(120_000);
  let stack: TestStack;

  // The gateway's own batcher waits an hour: the batcher under test is the only one closing batches.
  before(
    async () => (stack = await startTestStack({ AIDPROOF_VALIDATORS: "false", AIDPROOF_BATCH_INTERVAL_MS: "3600000" })),
  );
  after(() => stack?.close());

  describe("reconcile", () => {
    it("does not adopt another batch found under its root: its items are anchored again under a new root", async () => {
      const { db, store, chain } = stack.gateway;
      const claimant = Wallet.createRandom();
      const claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
      for (const text of ["invoice", "report"]) {
        const res = await upload(stackInfo(stack), { claimId, bytes: Buffer.from(text), signer: claimant });
        expect(res.status).to.equal(202);
      }
      const items = db.pendingEvidence(10);
      // A batch this gateway built (and crashed before sending), while a second process with the same
      // key anchored the same leaves and salt with another manifest.
      const leaves = items.map((i) => manifestLeaf(i));
      const leavesRoot = buildEvidenceTree(leaves).root;
      const salt = `0x${randomBytes(32).toString("hex")}`;
      const manifest = buildManifest(chain.chainId, chain.addresses.evidenceRegistry, items);
      const { cid: manifestCid } = await store.put(Buffer.from(JSON.stringify(manifest)));
      const root = batchRoot(chain.gatewayAddress, leavesRoot, salt);
      db.createBatch(
        { root, leavesRoot, salt, gateway: chain.gatewayAddress, manifestCid, leafCount: items.length },
        items.map((i) => i.receiptId),
      );
      const { cid: otherCid } = await store.put(Buffer.from("another manifest"));
      await (await chain.sendAnchor(leavesRoot, salt, items.length, otherCid)).wait();

      const batcher = new Batcher(
        db,
        store,
        chain,
        { maxItems: 1000, intervalMs: 100, inFlight: 1 },
        createLogger("silent"),
        new Metrics(),
      );
      batcher.start();
      try {
        let rebatched: string | null = null;
        for (let i = 0; i < 100 && !rebatched; ++i) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          const now = db.evidence(items[0].receiptId)!.batchRoot;
          if (now && now !== root && db.batch(now)?.status === "anchored") rebatched = now;
        }
        expect(db.batch(root)!.status).to.equal("abandoned");
        expect(rebatched, "items anchored again under a new root").to.be.a("string");
        const again = db.batch(rebatched!)!;
        expect((await chain.batch(rebatched!))!.leafCount).to.equal(items.length);
        expect(again.manifestCid).to.not.equal(otherCid);
      } finally {
        await batcher.stop();
      }
    });
  });
});

import { expect } from "chai";
import { Wallet } from "ethers";
import { AidProofClient, type ReceiptView } from "../../api/src/sdk/client";
import { verifyEvidenceBundle, type ProofBundle } from "../../api/src/verify/evidence";
import { claimTimeline } from "../../api/src/verify/timeline";
import { unixfsCid } from "../../api/src/verify/content";
import { LOCAL_MEMBERS } from "../../api/src/node/keys";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, stackInfo, upload } from "../support/evidence";
import { RogueGateway } from "../support/rogueGateway";
import { forgeLookalikeBundle } from "../support/lookalike";
import { decideClaim, memberReviewer } from "../support/review";

describe("verifyEvidenceBundle", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let claimant: Wallet;
  let claimId: bigint;
  const bytes = Buffer.from("hospital invoice, redacted");
  let confirmed: ReceiptView;

  before(async () => {
    stack = await startTestStack();
    claimant = Wallet.createRandom() as unknown as Wallet;
    claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
    const res = await upload(stackInfo(stack), { claimId, bytes, signer: claimant });
    confirmed = await new AidProofClient(stack.gateway.url).waitForReceipt(res.body.receiptId as string, "confirmed");
  });
  after(() => stack?.close());

  const verify = (bundle: unknown, extra: { file?: Uint8Array; unpinned?: boolean } = {}) =>
    verifyEvidenceBundle(bundle, {
      descriptor: extra.unpinned ? undefined : stack.descriptor,
      rpcUrl: stack.rpcUrl,
      ...extra,
    });
  const failed = (v: Awaited<ReturnType<typeof verify>>) => v.checks.filter((c) => !c.ok).map((c) => c.name);

  describe("pinning", () => {
    it("verifies a confirmed item, naming the members that confirmed it", async () => {
      const v = await verify(confirmed.proof, { file: bytes });
      expect(v.status, JSON.stringify(failed(v))).to.equal("VERIFIED");
      expect(v.batch!.status).to.equal("Confirmed");
      const names = v.batch!.attestations.filter((a) => a.valid).map((a) => a.member);
      expect(names.length).to.be.at.least(2);
      expect(LOCAL_MEMBERS).to.include.members(names);
    });

    it("refuses a look-alike registry's well-formed, confirmed bundle against the pinned descriptor", async () => {
      const forged = await forgeLookalikeBundle(stack, confirmed.proof as ProofBundle);
      const unpinned = await verify(forged, { unpinned: true });
      expect(unpinned.status, "the forgery fools a verifier that trusts the bundle").to.equal("VERIFIED");
      expect(unpinned.pinned).to.equal(false);
      const pinned = await verify(forged);
      expect(pinned.status).to.equal("NOT VERIFIED");
      expect(failed(pinned)).to.include("bundle names the pinned EvidenceRegistry");
    });

    it("refuses to verify without a pin unless told to", async () => {
      const v = await verifyEvidenceBundle(confirmed.proof, { rpcUrl: stack.rpcUrl });
      expect(v.status).to.equal("NOT VERIFIED");
      expect(failed(v)).to.deep.equal(["pinned to a consortium descriptor"]);
    });
  });

  describe("batch status", () => {
    it("reports a batch the members rejected as NOT VERIFIED", async () => {
      const rogue = new RogueGateway(stack);
      const item = await rogue.item(claimId, claimant);
      // A manifest that cannot be what was anchored: the members reject the batch whole.
      const { root, leafHashes, proofs } = await rogue.anchor([item], { manifestCid: "not-a-cid" });
      const onChain = await stack.gateway.chain.batch(root);
      const rejectedBundle: ProofBundle = {
        ...(confirmed.proof as ProofBundle),
        leaf: {
          claimId: item.claimId,
          claimant: item.claimant,
          contentHash: item.contentHash,
          kind: item.kind,
          cid: item.cid,
        },
        leafHash: leafHashes[0],
        proof: proofs[0],
        root,
        batch: {
          index: onChain!.index,
          leafCount: 1,
          manifestCid: "not-a-cid",
          txHash: null,
          blockNumber: onChain!.anchoredBlock,
          blockTimestamp: onChain!.anchoredAt,
        },
      };
      for (let i = 0; i < 100 && (await stack.gateway.chain.batch(root))!.status !== 3; ++i)
        await new Promise((resolve) => setTimeout(resolve, 200));
      const v = await verify(rejectedBundle);
      expect(v.status).to.equal("NOT VERIFIED");
      expect(failed(v)).to.deep.equal([
        "batch is not rejected by the members",
        "contract verifies the proof (OpenZeppelin MerkleProof)",
      ]);
    });

    it("reports PENDING while anchored and not confirmed", async () => {
      const quiet = await startTestStack({ AIDPROOF_VALIDATORS: "false" });
      try {
        const someone = Wallet.createRandom();
        const id2 = BigInt((await fileClaim(stackInfo(quiet), someone)).body.claimId as string);
        const res = await upload(stackInfo(quiet), { claimId: id2, bytes: Buffer.from("pending"), signer: someone });
        const anchored = await new AidProofClient(quiet.gateway.url).waitForReceipt(
          res.body.receiptId as string,
          "anchored",
        );
        const v = await verifyEvidenceBundle(anchored.proof, { descriptor: quiet.descriptor, rpcUrl: quiet.rpcUrl });
        expect([v.status, v.ok, v.batch?.status]).to.deep.equal(["PENDING", false, "Pending"]);
      } finally {
        await quiet.close();
      }
    });
  });

  describe("the file", () => {
    it("fails on both SHA-256 and CID for bytes other than the anchored ones", async () => {
      const v = await verify(confirmed.proof, { file: Buffer.from("hospital invoice, redacteD") });
      expect(v.status).to.equal("NOT VERIFIED");
      expect(failed(v)).to.include.members([
        "file SHA-256 is the leaf's content hash",
        "file CID (unixfs-v1-2025) is the leaf's CID",
      ]);
    });

    it("recomputes the store's CID from the bytes (a multi-block file too)", async () => {
      const large = Buffer.alloc(2 * 1024 * 1024 + 3, 7);
      const { cid } = await stack.gateway.store.put(large);
      expect(await unixfsCid(large)).to.equal(cid);
      expect(await unixfsCid(bytes)).to.equal(confirmed.cid);
    });
  });

  describe("the claim", () => {
    it("reads back a filed -> reviewed -> approved -> paid timeline exactly, and the item came before the decision", async () => {
      await decideClaim(stack, claimId, "approve", 300_000n, 300_000n);
      const payer = memberReviewer(stack, 2);
      await payer.recordPayout(claimId, "payment-1");
      payer.destroy();
      const timeline = await claimTimeline(stack.gateway.chain.provider, stack.descriptor, claimId);
      expect(timeline.map((e) => e.event)).to.deep.equal([
        "ClaimFiled",
        "ClaimStateChanged",
        "ClaimStateChanged",
        "ClaimEndorsed",
        "ClaimEndorsed",
        "ClaimStateChanged",
        "ClaimDecided",
        "ClaimStateChanged",
        "ClaimPaid",
      ]);
      expect(timeline.filter((e) => e.event === "ClaimStateChanged").map((e) => e.args.to)).to.deep.equal([
        "1",
        "2",
        "3",
        "6",
      ]);
      const v = await verify(confirmed.proof);
      expect(v.status).to.equal("VERIFIED");
      expect(v.checks.find((c) => c.name === "anchored before the claim was decided")?.ok).to.equal(true);
    });
  });
});

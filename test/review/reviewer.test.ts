import { expect } from "chai";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, NonceManager, Wallet, toQuantity } from "ethers";
import { AidProofClient, GatewayError } from "../../api/src/sdk/client";
import { Reviewer } from "../../api/src/review/reviewer";
import { DomainError } from "../../api/src/errors";
import { ClaimRegistry__factory, Consortium__factory } from "../../typechain-types";
import { ProposalAction, proposalParams } from "../../api/src/chain/governance";
import { evidenceSetRoot } from "../../api/src/evidence/evidenceSet";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { decideClaim, memberReviewer, reasonFor, settledEvidenceSet } from "../support/review";

const ASKED = 300_000n;
const DISPUTE_WINDOW = 600;

/** The domain error a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

describe("Reviewer (real stack: chain, manifests, store, gateway)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let claimant: AidProofClient;
  let provider: JsonRpcProvider;
  let outDir: string;
  const reviewers: Reviewer[] = [];

  /** A claim with one public and one private item, anchored and confirmed. */
  async function claimWithEvidence(): Promise<bigint> {
    const { claimId } = await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" });
    const files = [
      { name: "public.txt", kind: "public" as const, body: `public evidence ${claimId}\n` },
      { name: "private.txt", kind: "private" as const, body: `private diagnosis ${claimId}\n` },
    ];
    for (const f of files) {
      const path = join(outDir, `${claimId}-${f.name}`);
      writeFileSync(path, f.body);
      const { receiptId } = await claimant.submitEvidence(BigInt(claimId), path, { kind: f.kind });
      await claimant.waitForReceipt(receiptId, "confirmed", 60_000);
    }
    return BigInt(claimId);
  }

  /** The decision input for `claimId` over `root`, with a matching reason document. */
  const decisionOf = (claimId: bigint, decision: "approve" | "reject", root: string, amount = ASKED) => ({
    decision,
    amount: decision === "approve" ? amount : 0n,
    reason: reasonFor(claimId, decision, ASKED, decision === "approve" ? amount : 0n),
    evidenceRoot: root,
  });

  /** A claim with evidence under review, reviewed by members 1 to 3, and its evidence-set root. */
  async function underReview() {
    const claimId = await claimWithEvidence();
    const members = [member(0), member(1), member(2)];
    await members[0].startReview(claimId);
    const { root } = await settledEvidenceSet(members[0], claimId);
    return { claimId, members, root };
  }

  const member = (i: number) => {
    const r = memberReviewer(stack, i);
    reviewers.push(r);
    return r;
  };
  const state = async (claimId: bigint) =>
    Number(
      (await ClaimRegistry__factory.connect(stack.descriptor.contracts.claimRegistry, provider).claim(claimId)).state,
    );

  before(async () => {
    stack = await startTestStack({ AIDPROOF_DISPUTE_WINDOW_SECONDS: String(DISPUTE_WINDOW) });
    claimant = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
    provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    outDir = await mkdtemp(join(tmpdir(), "aidproof-review-"));
  });
  after(async () => {
    for (const r of reviewers) r.destroy();
    provider?.destroy();
    await stack?.close();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  describe("evidenceSet", () => {
    it("holds the confirmed items anchored before the review, with the root anyone recomputes", async () => {
      const claimId = await claimWithEvidence();
      const r = member(0);
      await r.startReview(claimId);
      const set = await settledEvidenceSet(r, claimId);
      expect(set.items).to.have.length(2);
      expect(set.root).to.equal(evidenceSetRoot(set.items.map((i) => i.leafHash)));
      // Evidence is refused once the review has started: it could never count.
      const late = join(outDir, "late.txt");
      writeFileSync(late, "late");
      const refused = (await rejection(claimant.submitEvidence(claimId, late, { kind: "public" }))) as GatewayError;
      expect([refused.status, refused.code]).to.deep.equal([409, "CLAIM_CLOSED_FOR_EVIDENCE"]);
      expect((await r.evidenceSet(claimId)).root).to.equal(set.root);
      const served = (await (await fetch(`${stack.gateway.url}/claims/${claimId}/evidence-set`)).json()) as {
        root: string;
        itemCount: number;
        items: { proof: unknown; setProof: string[] }[];
      };
      expect([served.root, served.itemCount]).to.deep.equal([set.root, 2]);
      expect(served.items.every((i) => i.proof !== null && i.setProof.length > 0)).to.equal(true);
    });

    it("is refused, with a stable code, for a claim not under review", async () => {
      const { claimId } = await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" });
      const res = await fetch(`${stack.gateway.url}/claims/${claimId}/evidence-set`);
      expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).to.deep.equal([
        409,
        "CLAIM_NOT_REVIEWED",
      ]);
    });
  });

  describe("open", () => {
    it("fetches every item verified, and decrypts the private one with this member's key", async () => {
      const claimId = await claimWithEvidence();
      await member(0).startReview(claimId);
      await settledEvidenceSet(member(1), claimId);
      const { items } = await member(1).open(claimId, join(outDir, `open-${claimId}`));
      const texts = items.map((i) => readFileSync(i.path, "utf8")).sort();
      expect(texts).to.deep.equal([`private diagnosis ${claimId}\n`, `public evidence ${claimId}\n`]);
    });

    it("tells a member without a wrapped key for a private item so", async () => {
      const claimId = await claimWithEvidence();
      await member(0).startReview(claimId);
      const outsiderKey = new Reviewer({
        rpcUrl: stack.rpcUrl,
        descriptor: stack.descriptor,
        gatewayUrl: stack.gateway.url,
        validatorKey: stack.keys!.members[2].validatorKey,
        encryptionKey: Wallet.createRandom().privateKey, // not the key the items were encrypted to
      });
      reviewers.push(outsiderKey);
      await settledEvidenceSet(outsiderKey, claimId);
      const error = await rejection(outsiderKey.open(claimId, join(outDir, `nokey-${claimId}`)));
      expect(error.code).to.equal("NOT_A_RECIPIENT");
      expect(error.message).to.match(/no wrapped key for this member/);
    });
  });

  describe("decide", () => {
    it("refuses, before sending anything, an evidence root other than the recomputed one", async () => {
      const claimId = await claimWithEvidence();
      const r = member(0);
      await r.startReview(claimId);
      const { root } = await settledEvidenceSet(r, claimId);
      const wrong = `0x${"ab".repeat(32)}`;
      const error = await rejection(
        r.decide(claimId, {
          decision: "approve",
          amount: ASKED,
          reason: reasonFor(claimId, "approve", ASKED, ASKED),
          evidenceRoot: wrong,
        }),
      );
      expect(error.code).to.equal("EVIDENCE_ROOT_MISMATCH");
      expect(error.message).to.contain(root);
      const claims = ClaimRegistry__factory.connect(stack.descriptor.contracts.claimRegistry, provider);
      expect(await claims.queryFilter(claims.filters.ClaimEndorsed(claimId))).to.have.length(0);
    });

    it("refuses a reason document that does not describe the decision", async () => {
      const claimId = await claimWithEvidence();
      const r = member(0);
      await r.startReview(claimId);
      const { root } = await settledEvidenceSet(r, claimId);
      const error = await rejection(
        r.decide(claimId, {
          decision: "approve",
          amount: 1_000n,
          reason: reasonFor(claimId, "approve", ASKED, ASKED),
          evidenceRoot: root,
        }),
      );
      expect(error.code).to.equal("REASON_MISMATCH");
    });

    it("makes no decision while two members disagree; the third decides, binding root and reason", async () => {
      const { claimId, members, root } = await underReview();
      const [a, b, c] = members;
      const approve = decisionOf(claimId, "approve", root);
      expect((await a.decide(claimId, approve)).decided).to.equal(false);
      expect((await b.decide(claimId, decisionOf(claimId, "reject", root))).decided).to.equal(false);
      expect(await state(claimId)).to.equal(2); // UnderReview
      const third = await c.decide(claimId, approve);
      expect(third.decided).to.equal(true);
      const onChain = await ClaimRegistry__factory.connect(stack.descriptor.contracts.claimRegistry, provider).claim(
        claimId,
      );
      expect([Number(onChain.state), onChain.evidenceRoot, onChain.reasonHash]).to.deep.equal([
        3,
        root,
        third.reasonHash,
      ]);
      // The published reason is what the members endorsed: its CID follows from the hash on chain.
      const served = (await (await fetch(`${stack.gateway.url}/claims/${claimId}`)).json()) as { reasonCid: string };
      expect(served.reasonCid).to.equal(third.reasonCid);
    });

    it("does not count the endorsement of a member removed mid-review", async () => {
      const { claimId, members, root } = await underReview();
      const [a, b, c] = members;
      const approve = decisionOf(claimId, "approve", root);
      await c.decide(claimId, approve);
      // Members 1 and 2 remove member 3 (M = 2 of 3).
      const wallets = stack.keys!.members.map((m) => new NonceManager(new Wallet(m.validatorKey, provider)));
      const consortium = Consortium__factory.connect(stack.descriptor.contracts.consortium, provider);
      const head = await provider.getBlock("latest");
      const id = (await consortium.proposalCount()) + 1n;
      await (
        await consortium
          .connect(wallets[0])
          .propose(
            ProposalAction.RemoveMember,
            proposalParams.removeMember(await wallets[2].getAddress()),
            head!.timestamp + 3600,
          )
      ).wait();
      await (await consortium.connect(wallets[1]).approve(id)).wait();
      await (await consortium.connect(wallets[0]).execute(id)).wait();
      expect((await a.decide(claimId, approve)).decided).to.equal(false); // member 3's endorsement no longer counts
      expect((await b.decide(claimId, approve)).decided).to.equal(true);
      const removed = await rejection(c.recordPayout(claimId, "BANK-1"));
      expect(removed.code).to.equal("NOT_A_MEMBER");
    });
  });

  describe("disputes and payouts", () => {
    let partial: bigint;

    it("refuses to dispute a claim approved in full (409 CLAIM_NOT_DISPUTABLE), and pays it", async () => {
      const { claimId } = await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" });
      await decideClaim(stack, BigInt(claimId), "approve", ASKED, ASKED);
      const error = (await rejection(claimant.dispute(BigInt(claimId)))) as GatewayError;
      expect([error.status, error.code]).to.deep.equal([409, "CLAIM_NOT_DISPUTABLE"]);
      const waiting = await member(1).queue();
      expect(waiting.find((q) => q.claimId === claimId)?.action).to.equal("pay");
      await member(1).recordPayout(BigInt(claimId), "BANK-2026-0001");
      const served = (await (await fetch(`${stack.gateway.url}/claims/${claimId}`)).json()) as {
        state: string;
        paymentReference: string;
      };
      expect([served.state, served.paymentReference]).to.deep.equal(["Paid", "BANK-2026-0001"]);
    });

    it("accepts the dispute of a partial approval; its payout waits for the window", async () => {
      const { claimId } = await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" });
      partial = BigInt(claimId);
      await decideClaim(stack, partial, "approve", 1n, ASKED); // 1 of 300,000: a token amount
      const early = await rejection(member(0).recordPayout(partial, "BANK-2"));
      expect(early.code).to.equal("DISPUTE_WINDOW_OPEN");
      const disputed = await claimant.dispute(partial);
      expect(disputed.state).to.equal("Disputed");
    });

    it("answers a dispute outside the window with 409 DISPUTE_WINDOW_CLOSED", async () => {
      const { claimId } = await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" });
      await decideClaim(stack, BigInt(claimId), "reject", 0n, ASKED);
      await provider.send("evm_increaseTime", [toQuantity(DISPUTE_WINDOW + 60)]);
      await provider.send("evm_mine", []);
      const error = (await rejection(claimant.dispute(BigInt(claimId)))) as GatewayError;
      expect([error.status, error.code]).to.deep.equal([409, "DISPUTE_WINDOW_CLOSED"]);
      const res = await fetch(`${stack.gateway.url}/claims/${claimId}`);
      expect(((await res.json()) as { state: string }).state).to.equal("Rejected");
    });
  });
});

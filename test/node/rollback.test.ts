import { expect } from "chai";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { Wallet } from "ethers";
import { AidProofClient, type ReceiptView } from "../../api/src/sdk/client";
import { startAnvil, type ChainNode } from "../../api/src/node/anvil";
import { verifyEvidenceBundle } from "../../api/src/verify/evidence";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, stackInfo, upload } from "../support/evidence";
import { exited } from "../support/processes";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The chain loses its last blocks: anvil is killed with SIGKILL after anchors and a relayed claim,
 * and restarts from an older saved state (what a dump that had not happened yet leaves). The
 * gateway must notice, anchor again what it had reported anchored, refuse the lost claim's pending
 * evidence without touching anyone else's, and let the claim id's new owner upload.
 */
describe("chain rollback (anvil killed and restarted from an older state)", function () {
  this.timeout(300_000);
  let stack: TestStack;
  let restarted: ChainNode | undefined;

  before(async () => (stack = await startTestStack({ AIDPROOF_FINALITY_DEPTH: "3" })));
  after(async () => {
    await restarted?.stop();
    await stack?.close();
  });

  it("re-anchors every lost anchor, drops only the lost claim's evidence, and every other receipt verifies", async () => {
    const info = stackInfo(stack);
    const client = new AidProofClient(stack.gateway.url);
    const stateFile = join(stack.dataDir, "chain", "anvil-state.json");
    const uploadAll = async (claimId: bigint, signer: Wallet, label: string, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; ++i) {
        const res = await upload(info, { claimId, bytes: Buffer.from(`${label} ${i}`), signer });
        expect(res.status, JSON.stringify(res.body)).to.equal(202);
        ids.push(res.body.receiptId as string);
      }
      return ids;
    };

    // Saved: claim A and its first evidence, final and confirmed.
    const alice = Wallet.createRandom() as unknown as Wallet;
    const claimA = BigInt((await fileClaim(info, alice)).body.claimId as string);
    const early = await uploadAll(claimA, alice, "saved", 3);
    for (const id of early) await client.waitForReceipt(id, "confirmed");
    await sleep(2_500); // anvil dumps its state every second: this state has them
    copyFileSync(stateFile, `${stateFile}.older`);

    // Lost: claim B (relayed, 201) and evidence for A and B, all reported anchored.
    const bob = Wallet.createRandom() as unknown as Wallet;
    const filedB = await fileClaim(info, bob);
    expect(filedB.status).to.equal(201);
    const claimB = BigInt(filedB.body.claimId as string);
    const lostA = await uploadAll(claimA, alice, "lost for A", 3);
    const lostB = await uploadAll(claimB, bob, "lost for B", 2);
    for (const id of [...lostA, ...lostB]) await client.waitForReceipt(id, "anchored");
    const lostRoots = new Set(lostA.map((id) => stack.gateway.db.evidence(id)!.batchRoot!));

    stack.chainNode!.kill();
    await exited(stack.chainNode!.process);
    copyFileSync(`${stateFile}.older`, stateFile);
    restarted = await startAnvil(stack.dataDir, stack.config.chainPort, 0);

    // B's id is given to a new claimant, whose uploads must not be refused on the old claimant's account.
    let carol: Wallet | undefined;
    let claimC = 0n;
    for (let i = 0; i < 60 && claimC !== claimB; ++i) {
      await sleep(500);
      carol = Wallet.createRandom() as unknown as Wallet;
      const filed = await fileClaim(info, carol);
      if (filed.status === 201) claimC = BigInt(filed.body.claimId as string);
      if (claimC !== 0n && claimC !== claimB) break;
    }
    expect(claimC, "the rolled-back id is filed again by a new claimant").to.equal(claimB);
    const fromCarol = await upload(info, { claimId: claimC, bytes: Buffer.from("carol's report"), signer: carol! });
    expect(fromCarol.status, JSON.stringify(fromCarol.body)).to.equal(202);

    const receipts = new Map<string, ReceiptView>();
    for (const id of [...early, ...lostA, fromCarol.body.receiptId as string])
      receipts.set(id, await client.waitForReceipt(id, "confirmed", 120_000));
    for (const id of lostB) receipts.set(id, await client.waitForReceipt(id, "confirmed", 120_000));

    for (const id of [...early, ...lostA, fromCarol.body.receiptId as string]) {
      const receipt = receipts.get(id)!;
      expect([receipt.status, receipt.final], id).to.deep.equal(["confirmed", true]);
      const verification = await verifyEvidenceBundle(receipt.proof, {
        descriptor: stack.descriptor,
        rpcUrl: restarted.rpcUrl,
      });
      expect(verification.status, JSON.stringify(verification.checks)).to.equal("VERIFIED");
    }
    for (const id of lostB) expect(receipts.get(id)!.status, id).to.be.oneOf(["refused", "rejected"]);
    const claimNow = await (await fetch(`${info.url}/claims/${claimB}`)).json();
    expect((claimNow as { claimant: string }).claimant).to.equal(carol!.address);

    // Exactly once: the lost anchors are gone from the chain, and each item is in the one batch it now names.
    for (const root of lostRoots) expect(await stack.gateway.chain.batch(root), root).to.equal(undefined);
    for (const id of lostA) expect(lostRoots.has(stack.gateway.db.evidence(id)!.batchRoot!)).to.equal(false);
    const figures = {
      acknowledged: early.length + lostA.length + lostB.length + 1,
      final: [...receipts.values()].filter((r) => r.final).length,
      refusedOrRejected: lostB.length,
      lost: [...early, ...lostA].filter((id) => receipts.get(id)!.status !== "confirmed").length,
    };
    console.log(`      chain rollback: ${JSON.stringify(figures)}`);
  });
});

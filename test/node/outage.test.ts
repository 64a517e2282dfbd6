import { expect } from "chai";
import { Wallet } from "ethers";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, upload, stackInfo } from "../support/evidence";
import { startAnvil, type ChainNode } from "../../api/src/node/anvil";
import { AidProofClient } from "../../api/src/sdk/client";
import { verifyEvidenceBundle } from "../../api/src/verify/evidence";

describe("chain outage", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let restarted: ChainNode | undefined;

  before(async () => {
    stack = await startTestStack({ AIDPROOF_VALIDATORS: "false" });
  });
  after(async () => {
    await restarted?.stop();
    await stack?.close();
  });

  it("keeps accepting while the chain node is down, then anchors the backlog when it returns", async () => {
    const info = stackInfo(stack);
    const claimant = Wallet.createRandom();
    const claimId = BigInt((await fileClaim(info, claimant)).body.claimId as string);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // indexed, so the read model knows the claim

    await stack.chainNode!.stop(); // SIGTERM: anvil dumps its state, as a node being restarted would
    const accepted: string[] = [];
    for (let i = 0; i < 20; ++i) {
      const res = await upload(info, { claimId, bytes: Buffer.from(`during the outage ${i}`), signer: claimant });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      accepted.push(res.body.receiptId as string);
    }
    const ready = await fetch(`${info.url}/ready`);
    expect(ready.status).to.equal(503);
    const client = new AidProofClient(info.url);
    for (const id of accepted) expect((await client.receipt(id)).status).to.equal("pending");

    restarted = await startAnvil(stack.dataDir, stack.config.chainPort, 0);
    for (const id of accepted) {
      const receipt = await client.waitForReceipt(id, "anchored", 60_000);
      const verification = await verifyEvidenceBundle(receipt.proof, {
        descriptor: stack.descriptor,
        rpcUrl: restarted.rpcUrl,
      });
      expect(verification.status, JSON.stringify(verification.checks)).to.be.oneOf(["VERIFIED", "PENDING"]);
    }
  });
});

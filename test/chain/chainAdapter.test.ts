import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startTestStack, type TestStack } from "../support/stack";

const root = () => `0x${randomBytes(32).toString("hex")}`;

describe("ChainAdapter", function () {
  this.timeout(120_000);
  let stack: TestStack;
  before(async () => (stack = await startTestStack({ AIDPROOF_VALIDATORS: "false" })));
  after(() => stack?.close());

  describe("sendAnchor", () => {
    it("anchors a batch sent together with one the contract refuses (no nonce gap)", async () => {
      const chain = stack.gateway.chain;
      const [anchored, salt] = [root(), root()];
      await (await chain.sendAnchor(anchored, salt, 1, "bafkreifirst")).wait();
      // Sent in the same tick: the refused one fails in gas estimation after ethers' NonceManager
      // took its nonce; the other must still get a nonce the node mines.
      const [refused, fresh] = await Promise.allSettled([
        chain.sendAnchor(anchored, salt, 1, "bafkreifirst"),
        chain.sendAnchor(root(), salt, 1, "bafkreisecond"),
      ]);
      expect(refused.status).to.equal("rejected");
      expect((refused as PromiseRejectedResult).reason.code).to.equal("BATCH_ALREADY_ANCHORED");
      const tx = (fresh as PromiseFulfilledResult<Awaited<ReturnType<typeof chain.sendAnchor>>>).value;
      const mined = await Promise.race([
        tx.wait().then((receipt) => receipt.status),
        new Promise((resolve) => setTimeout(() => resolve("not mined in 10 s"), 10_000)),
      ]);
      expect(mined).to.equal(1);
    });
  });
});

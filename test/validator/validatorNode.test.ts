import { expect } from "chai";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Wallet, id } from "ethers";
import { EvidenceRegistry__factory, type EvidenceRegistry } from "../../typechain-types";
import { ValidatorNode } from "../../api/src/validator/validatorNode";
import { encryptEnvelope } from "../../api/src/crypto/envelope";
import { manifestLeaf } from "../../api/src/batcher/manifest";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, stackInfo } from "../support/evidence";
import { RogueGateway } from "../support/rogueGateway";
import { collect } from "../support/bytes";
import { createLogger } from "../../api/src/logger";
import { decideClaim } from "../support/review";

const BatchStatus = { Pending: 1n, Confirmed: 2n, Rejected: 3n };
const GIVE_UP_MS = 1_500;

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > end) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("ValidatorNode", function () {
  this.timeout(180_000);

  describe("against a gateway that anchors what it should not (three validators, M = 2)", () => {
    let stack: TestStack;
    let registry: EvidenceRegistry;
    let rogue: RogueGateway;
    let claimant: Wallet;
    let claimId: bigint;

    before(async () => {
      stack = await startTestStack({ AIDPROOF_VALIDATOR_GIVE_UP_MS: String(GIVE_UP_MS) });
      registry = EvidenceRegistry__factory.connect(
        stack.deployment.addresses.evidenceRegistry,
        stack.gateway.chain.provider,
      );
      rogue = new RogueGateway(stack);
      claimant = Wallet.createRandom() as unknown as Wallet;
      claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
    });
    after(() => stack?.close());

    const settled = (root: string) =>
      until(
        () => registry.batch(root),
        (b) => b.status !== BatchStatus.Pending,
      );

    it("confirms 999 items of a 1,000-item batch and marks the one poisoned item", async () => {
      const items = [];
      for (let i = 0; i < 999; ++i) items.push(await rogue.item(claimId, claimant));
      const poisoned = await rogue.item(claimId, claimant, { signWith: Wallet.createRandom() });
      items.splice(500, 0, poisoned);
      const { root, leafHashes } = await rogue.anchor(items);

      expect((await settled(root)).status).to.equal(BatchStatus.Confirmed);
      expect(await registry.isExcluded(root, leafHashes[500])).to.equal(true);
      const excluded = await Promise.all(leafHashes.map((h) => registry.isExcluded(root, h)));
      expect(excluded.filter(Boolean)).to.have.length(1);
    });

    it("marks an item replayed from an earlier batch, and keeps the original", async () => {
      const original = await rogue.item(claimId, claimant);
      const first = await rogue.anchor([original, await rogue.item(claimId, claimant)]);
      expect((await settled(first.root)).status).to.equal(BatchStatus.Confirmed);
      const second = await rogue.anchor([original, await rogue.item(claimId, claimant)]);
      expect((await settled(second.root)).status).to.equal(BatchStatus.Confirmed);
      expect(await registry.isExcluded(first.root, first.leafHashes[0])).to.equal(false);
      expect(await registry.isExcluded(second.root, second.leafHashes[0])).to.equal(true);
      expect(await registry.isExcluded(second.root, second.leafHashes[1])).to.equal(false);
    });

    it("marks an item anchored after its signed deadline", async () => {
      const late = await rogue.item(claimId, claimant, { deadline: BigInt(Math.floor(Date.now() / 1000) - 1) });
      const { root, leafHashes } = await rogue.anchor([late, await rogue.item(claimId, claimant)]);
      expect((await settled(root)).status).to.equal(BatchStatus.Confirmed);
      expect(await registry.isExcluded(root, leafHashes[0])).to.equal(true);
      expect(await registry.isExcluded(root, leafHashes[1])).to.equal(false);
    });

    it("marks an item for a claim already decided when the batch was anchored", async () => {
      const other = Wallet.createRandom() as unknown as Wallet;
      const decided = BigInt((await fileClaim(stackInfo(stack), other)).body.claimId as string);
      await decideClaim(stack, decided, "approve", 1000n, 300_000n);
      const { root, leafHashes } = await rogue.anchor([
        await rogue.item(decided, other),
        await rogue.item(claimId, claimant),
      ]);
      expect((await settled(root)).status).to.equal(BatchStatus.Confirmed);
      expect(await registry.isExcluded(root, leafHashes[0])).to.equal(true);
      expect(await registry.isExcluded(root, leafHashes[1])).to.equal(false);
    });

    it("marks a private item that no member can decrypt", async () => {
      const members = (await stack.gateway.chain.consortiumInfo()).members.map((m) => m.encryptionKey);
      const envelope = await collect(encryptEnvelope(Buffer.from("diagnosis"), members));
      envelope[envelope.length - 20] ^= 1; // ciphertext altered: the envelope parses, nobody can open it
      const unreadable = await rogue.item(claimId, claimant, { bytes: envelope, kind: 1 });
      const { root, leafHashes } = await rogue.anchor([unreadable, await rogue.item(claimId, claimant)]);
      expect((await settled(root)).status).to.equal(BatchStatus.Confirmed);
      expect(await registry.isExcluded(root, leafHashes[0])).to.equal(true);
    });

    it("rejects malformed anchors whole and goes on confirming the batches after them", async () => {
      const good = await rogue.item(claimId, claimant);
      const notACid = await rogue.anchor([good], { manifestCid: "not-a-cid" });
      const unencodable = await rogue.anchor([{ ...good, claimId: (2n ** 256n).toString() }], {
        leavesRoot: id("any"),
      });
      const missing = await rogue.anchor([good], {
        manifestCid: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", // never stored
      });
      const after = await rogue.anchor([await rogue.item(claimId, claimant)]);
      for (const bad of [notACid, unencodable, missing])
        expect((await settled(bad.root)).status).to.equal(BatchStatus.Rejected);
      expect((await settled(after.root)).status).to.equal(BatchStatus.Confirmed);
    });

    it("still proves the confirmed leaves of a batch on chain, and no longer the excluded one", async () => {
      const stranger = Wallet.createRandom().address;
      const items = [await rogue.item(claimId, claimant), await rogue.item(claimId, claimant, { claimant: stranger })];
      const { root, proofs } = await rogue.anchor(items);
      expect((await settled(root)).status).to.equal(BatchStatus.Confirmed);
      const leaves = items.map(manifestLeaf);
      expect(await registry.verifyEvidence(root, proofs[0], leaves[0])).to.equal(true);
      expect(await registry.verifyEvidence(root, proofs[1], leaves[1])).to.equal(false);
    });
  });

  describe("when the chain or the content fails for a moment", () => {
    let stack: TestStack;
    let proxy: Server;
    let failures: number;

    before(async () => {
      stack = await startTestStack({ AIDPROOF_VALIDATORS: "false" });
      failures = 0;
      // An RPC endpoint that fails every read for a while: a flaky provider, not a verdict.
      proxy = createServer((req, res) => {
        void collect(req).then((body) => {
          const call = JSON.parse(body.toString("utf8")) as { method: string };
          if (failures > 0 && ["eth_call", "eth_getLogs"].includes(call.method)) {
            failures -= 1;
            res.writeHead(502).end("bad gateway");
            return;
          }
          const upstream = request(
            stack.rpcUrl,
            { method: "POST", headers: { "content-type": "application/json" } },
            (up) => {
              res.writeHead(up.statusCode!, up.headers);
              up.pipe(res);
            },
          );
          upstream.end(body);
        });
      });
      await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    });
    after(async () => {
      proxy?.close();
      await stack?.close();
    });

    it("retries instead of attesting invalid, and attests valid once it can check", async () => {
      const claimant = Wallet.createRandom() as unknown as Wallet;
      const claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
      const rogue = new RogueGateway(stack);
      const item = await rogue.item(claimId, claimant);
      const { root } = await rogue.anchor([item]);

      let fetchFailures = 1;
      const member = stack.keys!.members[0];
      const node = new ValidatorNode(
        `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        member.validatorKey,
        stack.deployment.addresses,
        BigInt(stack.deployment.chainId),
        (cid) => {
          if (cid === item.cid && fetchFailures-- > 0) throw new Error("connection reset (injected)");
          return stack.gateway.store.get(cid);
        },
        stack.deployment.deploymentBlock,
        createLogger("silent"),
        { pollMs: 100, contentGiveUpMs: 60_000 },
      );
      failures = 6;
      node.start();
      try {
        const registry = EvidenceRegistry__factory.connect(
          stack.deployment.addresses.evidenceRegistry,
          stack.gateway.chain.provider,
        );
        const me = new Wallet(member.validatorKey).address;
        const [valid, invalid] = await until(
          () => registry.attestations(root),
          ([v, i]) => v.length + i.length > 0,
        );
        expect(invalid).to.deep.equal([]);
        expect(valid).to.deep.equal([me]);
        expect(failures).to.equal(0);
        expect(fetchFailures).to.be.below(0);
      } finally {
        await node.stop();
      }
    });
  });
});

import { expect } from "chai";
import express from "express";
import { JsonRpcProvider, Wallet, toQuantity } from "ethers";
import { AidProofClient } from "../../api/src/sdk/client";
import { AnnouncementRegistry__factory, type AnnouncementRegistry } from "../../typechain-types";
import {
  announcementRoot,
  deriveAnnouncement,
  verifyAnnouncementEntry,
  type AnnouncementEntry,
  type AnnouncementSource,
} from "../../api/src/announcements/announcement";
import { Announcer } from "../../api/src/announcements/announcer";
import { evidenceItemCounter } from "../../api/src/evidence/evidenceSet";
import { createLogger } from "../../api/src/logger";
import { rawCidOfSha256 } from "../../api/src/verify/reason";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { decideClaim, memberReviewer } from "../support/review";
import { listen, type RunningServer } from "../support/httpServer";
import { cli } from "../support/processes";

const PERIOD = 3_600;
const ASKED = 300_000n;
const Status = { Pending: 1, Confirmed: 2, Rejected: 3 };

describe("announcements (real stack: gateway, validators, chain, store)", function () {
  this.timeout(180_000);
  let stack: TestStack;
  let provider: JsonRpcProvider;
  let registry: AnnouncementRegistry;
  let source: AnnouncementSource;
  let paid: bigint;
  let disputed: bigint;

  /** Waits until `period`'s announcement has `status`. */
  async function settled(status: number, timeoutMs = 60_000, period = 0n) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const a = await registry.announcement(period);
      if (Number(a.status) === status) return a;
      if (Date.now() > until) throw new Error(`announcement status ${a.status}, expected ${status}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  before(async () => {
    // The gateway's announcer is off: the tests publish as a rogue operator first, then run it.
    stack = await startTestStack({
      AIDPROOF_ANNOUNCER: "false",
      AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: String(PERIOD),
      AIDPROOF_VALIDATOR_GIVE_UP_MS: "3000",
    });
    provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    registry = AnnouncementRegistry__factory.connect(stack.descriptor.contracts.announcementRegistry, provider);
    const evidenceSets = {
      provider,
      contracts: stack.descriptor.contracts,
      deploymentBlock: stack.descriptor.deploymentBlock,
      fetch: async (cid: string) => {
        const parts: Uint8Array[] = [];
        for await (const chunk of stack.gateway.store.get(cid)) parts.push(chunk);
        return Buffer.concat(parts);
      },
    };
    source = {
      provider,
      chainId: BigInt(stack.descriptor.chainId),
      contracts: stack.descriptor.contracts,
      deploymentBlock: stack.descriptor.deploymentBlock,
      evidenceItemCount: evidenceItemCounter(evidenceSets),
    };

    const claimant = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
    paid = BigInt((await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" })).claimId);
    await decideClaim(stack, paid, "approve", ASKED, ASKED);
    const payer = memberReviewer(stack, 2);
    await payer.recordPayout(paid, "BANK-2026-0001");
    payer.destroy();
    disputed = BigInt((await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" })).claimId);
    await decideClaim(stack, disputed, "reject", 0n, ASKED);
    await claimant.dispute(disputed);
    // Close period 0.
    await provider.send("evm_increaseTime", [toQuantity(PERIOD)]);
    await provider.send("evm_mine", []);
  });
  after(async () => {
    provider?.destroy();
    await stack?.close();
  });

  describe("validators", () => {
    it("refuse an announcement that omits a decided claim", async () => {
      const derived = await deriveAnnouncement(source, 0n);
      expect(derived.entries.map((e) => e.claimId)).to.deep.equal([paid.toString(), disputed.toString()]);
      const entries = derived.entries.filter((e) => e.claimId !== disputed.toString());
      const { cid } = await stack.gateway.store.put(Buffer.from(JSON.stringify({ ...derived, entries })));
      await stack.gateway.chain.publishAnnouncement(0n, announcementRoot(entries), entries.length, cid);
      await settled(Status.Rejected);
      const [valid, invalid] = await registry.attestations(0);
      expect([valid.length, invalid.length >= 2]).to.deep.equal([0, true]);
    });
  });

  describe("validators, on a manifest nobody serves", () => {
    it("judge it missing after the give-up time instead of leaving the period pending", async () => {
      await provider.send("evm_increaseTime", [toQuantity(PERIOD)]);
      await provider.send("evm_mine", []);
      const unserved = rawCidOfSha256(`0x${"42".repeat(32)}`);
      await stack.gateway.chain.publishAnnouncement(1n, announcementRoot([]), 0, unserved);
      await settled(Status.Rejected, 60_000, 1n);
    });
  });

  describe("Announcer", () => {
    it("publishes the period derived from the chain again, and the members confirm it", async () => {
      const announcer = new Announcer(stack.gateway.chain, stack.gateway.store, source, createLogger("silent"));
      await announcer.announceClosedPeriods();
      const confirmed = await settled(Status.Confirmed);
      expect(Number(confirmed.publication)).to.equal(2);
      const served = (await (await fetch(`${stack.gateway.url}/announcements/0`)).json()) as {
        status: string;
        entries: { entry: AnnouncementEntry; proof: string[] }[];
      };
      expect(served.status).to.equal("confirmed");
      const [paidEntry, disputedEntry] = served.entries.map((e) => e.entry);
      expect([paidEntry.state, paidEntry.amountApproved, paidEntry.decision, paidEntry.endorsers.length]).to.deep.equal(
        [6, ASKED.toString(), 1, 2],
      );
      expect(paidEntry.reasonCid).to.equal(rawCidOfSha256(paidEntry.reasonHash));
      expect([disputedEntry.state, disputedEntry.decision, disputedEntry.dispute]).to.deep.equal([5, 2, 1]);
      for (const { entry, proof } of served.entries)
        expect(verifyAnnouncementEntry(entry, proof, confirmed.root)).to.equal(true);
    });
  });

  describe("aidproof announcements", () => {
    let proxy: RunningServer;
    const env = () => ({ AIDPROOF_CONSORTIUM: stack.config.descriptorFile, AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl });

    before(async () => {
      // A gateway that serves period 0 with one entry changed after anchoring: more approved.
      const app = express();
      app.get("/announcements/:period", async (req, res) => {
        const body = (await (await fetch(`${stack.gateway.url}/announcements/${req.params.period}`)).json()) as {
          entries: { entry: AnnouncementEntry }[];
        };
        body.entries[1].entry.amountApproved = ASKED.toString();
        res.json(body);
      });
      proxy = await listen(app);
    });
    after(() => proxy?.close());

    it("verifies an entry against the chain, and shows the period", async () => {
      const verified = await cli(
        ["--gateway", stack.gateway.url, "announcements", "verify", "0", "--claim", paid.toString()],
        env(),
      );
      expect(verified.code, verified.stderr).to.equal(0);
      expect(verified.stdout).to.match(/VERIFIED/);
      const shown = await cli(["--gateway", stack.gateway.url, "announcements", "show", "0"], env());
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.contain("CONFIRMED");
    });

    it("fails an entry changed after anchoring", async () => {
      const changed = await cli(
        ["--gateway", proxy.url, "announcements", "verify", "0", "--claim", disputed.toString()],
        env(),
      );
      expect(changed.code).to.equal(1);
      expect(changed.stdout).to.contain("NOT VERIFIED");
      expect((await cli(["--gateway", proxy.url, "announcements", "show", "0"], env())).code).to.equal(1);
    });
  });
});

import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { JsonRpcProvider, Wallet, id, toQuantity } from "ethers";
import { ChargeRegistry__factory, MembershipRegistry__factory } from "../../typechain-types";
import { membershipDomain, signMembershipChanges } from "../../api/src/charges/membership";
import { decideClaim, memberReviewer } from "../support/review";
import { waitFor } from "../support/jury";
import { AidProofClient, type ReceiptView } from "../../api/src/sdk/client";
import type { ProofBundle } from "../../api/src/verify/evidence";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, stackInfo, upload } from "../support/evidence";
import { forgeLookalikeBundle } from "../support/lookalike";
import { ROOT, run } from "../support/processes";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(ROOT, "test-artifacts", "web");
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The public verifier page in a real browser (Debian chromium), against a running local stack. */
describe("verifier page (/verify, headless chromium)", function () {
  this.timeout(240_000);
  let stack: TestStack;
  let browser: BrowserContext;
  let page: Page;
  let profile: string;
  let dir: string;
  let claimId: bigint;
  let confirmed: ReceiptView;
  const evidence = Buffer.from("discharge summary, redacted for the public");

  before(async () => {
    const built = await run("npm", ["run", "build:web"], {}, 180_000);
    expect(built.code, built.stderr).to.equal(0);
    mkdirSync(ARTIFACTS, { recursive: true });
    stack = await startTestStack();
    const claimant = Wallet.createRandom();
    claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
    const res = await upload(stackInfo(stack), { claimId, bytes: evidence, signer: claimant });
    confirmed = await new AidProofClient(stack.gateway.url).waitForReceipt(res.body.receiptId as string, "confirmed");
    dir = await mkdtemp(join(tmpdir(), "aidproof-web-"));
    profile = await mkdtemp(join(tmpdir(), "aidproof-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 390, height: 844 }, // a phone's width
    });
    page = await browser.newPage();
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  });

  const write = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === "string" || Buffer.isBuffer(content) ? content : JSON.stringify(content));
    return path;
  };

  /** Loads the page, gives it a bundle (and a file), verifies, and returns the verdict's text. */
  async function verifyInPage(bundle: unknown, file: Buffer | undefined, screenshot: string): Promise<string> {
    await page.goto(`${stack.gateway.url}/verify/`);
    await page.locator("#pin", { hasText: "chain" }).waitFor();
    await page.setInputFiles("#bundle", write(`${screenshot}.json`, bundle));
    if (file) await page.setInputFiles("#file", write(`${screenshot}.bin`, file));
    // Keyboard-usable: the Verify button takes focus and Enter runs it, no pointer needed.
    await page.focus("#verify");
    await page.keyboard.press("Enter");
    const verdict = page.locator("#result .verdict");
    await verdict.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, `${screenshot}.png`), fullPage: true });
    return verdict.innerText();
  }

  it("says VERIFIED for a confirmed bundle and its file, naming the members, within a second", async () => {
    const text = await verifyInPage(confirmed.proof, evidence, "verified");
    expect(text).to.match(/^VERIFIED: this evidence is anchored and confirmed by /);
    const elapsed = Number(/Checked in (\d+) ms/.exec(await page.locator("#result").innerText())![1]);
    console.log(`      page verification: ${elapsed} ms (bundle + file, against the local chain)`);
    expect(await page.locator("#result table").innerText()).to.include("Filed by");
  });

  it("says NOT VERIFIED for a tampered bundle, naming the failing check", async () => {
    const tampered = { ...(confirmed.proof as ProofBundle) };
    tampered.leaf = { ...tampered.leaf, cid: `${tampered.leaf.cid}x` };
    const text = await verifyInPage(tampered, undefined, "tampered");
    expect(text).to.match(/^NOT VERIFIED: leaf hashes to the bundle's leaf hash: no/);
  });

  it("catches a file that is not the anchored one", async () => {
    const text = await verifyInPage(confirmed.proof, Buffer.from("discharge summary, altered"), "wrong-file");
    expect(text).to.match(/^NOT VERIFIED: file SHA-256 is the leaf's content hash: no/);
  });

  it("refuses a look-alike contract's bundle", async () => {
    const forged = await forgeLookalikeBundle(stack, confirmed.proof as ProofBundle);
    const text = await verifyInPage(forged, evidence, "lookalike");
    expect(text).to.match(/^NOT VERIFIED: bundle names the pinned EvidenceRegistry: no/);
  });

  it("renders a claim's public timeline from the chain alone (/verify#claim=ID)", async () => {
    await page.goto(`${stack.gateway.url}/verify/#claim=${claimId}`);
    await page.locator("#timeline table").waitFor({ timeout: 30_000 });
    const text = await page.locator("#timeline").innerText();
    await page.screenshot({ path: join(ARTIFACTS, "claim-timeline.png"), fullPage: true });
    expect(text).to.include("Filed by");
    expect(text).to.include("State None → Filed");
  });

  describe("a member's share of a period (/verify#charge=PERIOD:MEMBER)", () => {
    const members = [1, 2, 3].map((n) => id(`web-salt:member-${n}`));

    before(async () => {
      // Three members enrol, the claim is approved and paid, and period 0 closes: the stack's own
      // coordinator proposes its charges and the validators confirm them.
      const domain = membershipDomain(BigInt(stack.descriptor.chainId), stack.descriptor.contracts.membershipRegistry);
      const changes = members.map((member) => ({ kind: "join" as const, member }));
      const signature = await signMembershipChanges(new Wallet(stack.keys!.gateway), domain, 1n, changes);
      const posted = await fetch(new URL("/members/changes", stack.gateway.url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sequence: "1", changes, signature }),
      });
      expect(posted.status).to.equal(202);
      const provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
      try {
        const membership = MembershipRegistry__factory.connect(stack.descriptor.contracts.membershipRegistry, provider);
        await waitFor(
          () => membership.batchCount(),
          (n) => n === 1n,
        );
        await decideClaim(stack, claimId, "approve", 300_000n, 300_000n);
        const payer = memberReviewer(stack, 2);
        await payer.recordPayout(claimId, "BANK-WEB-0001");
        payer.destroy();
        await provider.send("evm_increaseTime", [toQuantity(86_400)]);
        await provider.send("evm_mine", []);
        const charges = ChargeRegistry__factory.connect(stack.descriptor.contracts.chargeRegistry, provider);
        await waitFor(
          () => charges.nextPeriod(),
          (next) => next > 0n,
          90_000,
        );
      } finally {
        provider.destroy();
      }
    });

    async function chargeInPage(member: string, screenshot: string): Promise<string> {
      await page.goto("about:blank"); // a fresh page: the same hash again would not re-run the check
      await page.goto(`${stack.gateway.url}/verify/#charge=0:${member}`);
      const verdict = page.locator("#charge .verdict");
      await verdict.waitFor({ timeout: 30_000 });
      await page.screenshot({ path: join(ARTIFACTS, `${screenshot}.png`), fullPage: true });
      return page.locator("#charge").innerText();
    }

    // The dev cap is 10,000 per claim paid: 3 members pay 10,000 each and the rest is carried.
    it("verifies a member's charge against the root on chain, with the period's bill and the claim it paid", async () => {
      const text = await chargeInPage(members[1], "charge-verified");
      expect(text).to.match(/VERIFIED: this member pays 10000 for period 0, confirmed by the members/);
      expect(text).to.match(/Bill 300000 .* over 3 members: 30000 charged, 270000 carried to the next period/);
      expect(text).to.include("Claims paid in the period (1)");
      expect(text).to.include(`claim ${claimId}`);
    });

    it("says NOT VERIFIED when the platform serves another amount than the one anchored", async () => {
      await page.route("**/members/*/charges*", async (route) => {
        const served = (await (await route.fetch()).json()) as { amount: string };
        await route.fulfill({ json: { ...served, amount: "99999" } });
      });
      try {
        const text = await chargeInPage(members[1], "charge-lying-gateway");
        expect(text).to.match(
          /NOT VERIFIED: the platform says 99999, and its proof does not lead to the root on chain/,
        );
      } finally {
        await page.unroute("**/members/*/charges*");
      }
    });

    it("says a member outside the period shares no cost in it", async () => {
      const text = await chargeInPage(id("web-salt:stranger"), "charge-stranger");
      expect(text).to.match(/shares no cost in period 0/);
    });
  });
});

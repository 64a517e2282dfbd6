import { expect } from "chai";
import { mkdirSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { Wallet } from "ethers";
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
});

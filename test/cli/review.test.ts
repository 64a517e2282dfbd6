import { expect } from "chai";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestStack, type TestStack } from "../support/stack";
import { cli } from "../support/processes";
import { reasonFor } from "../support/review";

const ASKED = 300_000n;

describe("aidproof review and claim dispute (spawned, against the real stack)", function () {
  this.timeout(240_000);
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let claimId: string;

  /** The CLI as member `n` (1-based) of the local stack, with the stack's key file. */
  const asMember = (n: number, args: string[]) =>
    cli([...args, "--member-keys", join(stack.dataDir, "keys.json"), "--member", String(n)], env);
  /** `review decide <claim> reject` as member `n` with reason.json over `root`. */
  const rejectAs = (n: number, root: string, reason = "reason.json") =>
    asMember(n, ["review", "decide", claimId, "reject", "--reason", join(dir, reason), "--evidence-root", root]);
  const asClaimant = (args: string[]) => cli(["--key-file", join(dir, "claimant.key"), ...args], env);

  before(async () => {
    stack = await startTestStack();
    dir = await mkdtemp(join(tmpdir(), "aidproof-review-cli-"));
    env = {
      AIDPROOF_GATEWAY_URL: stack.gateway.url,
      AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl,
      AIDPROOF_CONSORTIUM: stack.config.descriptorFile,
    };
    await cli(["keygen", "--out", join(dir, "claimant.key")]);
    const filed = await asClaimant([
      "--json",
      "claim",
      "create",
      "--plan",
      "1",
      "--amount",
      ASKED.toString(),
      "--metadata-cid",
      "bafkreimeta",
    ]);
    claimId = (JSON.parse(filed.stdout) as { claimId: string }).claimId;
    await writeFile(join(dir, "report.txt"), "diagnosis report (confidential)\n");
    const submitted = await asClaimant(["evidence", "submit", claimId, join(dir, "report.txt")]);
    const receiptId = /receipt ([0-9a-f-]{36})/.exec(submitted.stdout)![1];
    expect((await cli(["receipt", receiptId, "--wait", "confirmed"], env)).code).to.equal(0);
  });
  after(async () => {
    await stack?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists the claim for review, starts it and opens the evidence set, decrypted locally", async () => {
    const listed = await asMember(1, ["review", "list"]);
    expect(listed.stdout).to.match(new RegExp(`claim ${claimId}\\s+Filed.*start review`));
    expect((await asMember(1, ["review", "start", claimId])).code).to.equal(0);
    let opened = await asMember(2, ["review", "open", claimId, "--out", join(dir, "open")]);
    for (let i = 0; opened.code !== 0 && /EVIDENCE_SET_UNSETTLED/.test(opened.stderr) && i < 40; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      opened = await asMember(2, ["review", "open", claimId, "--out", join(dir, "open")]);
    }
    expect(opened.code, opened.stderr).to.equal(0);
    expect(opened.stdout).to.match(/evidence set of 1 item/);
    const [file] = await readdir(join(dir, "open"));
    expect(await import("node:fs/promises").then((fs) => fs.readFile(join(dir, "open", file), "utf8"))).to.equal(
      "diagnosis report (confidential)\n",
    );
  });

  it("refuses a wrong evidence root locally, and a reason with a field outside the schema", async () => {
    await writeFile(join(dir, "reason.json"), JSON.stringify(reasonFor(BigInt(claimId), "reject", ASKED, 0n)));
    const wrong = await rejectAs(1, `0x${"ab".repeat(32)}`);
    expect(wrong.code).to.equal(2);
    expect(wrong.stderr).to.match(/EVIDENCE_ROOT_MISMATCH: refused/);
    await writeFile(
      join(dir, "leaky.json"),
      JSON.stringify({ ...reasonFor(BigInt(claimId), "reject", ASKED, 0n), claimantName: "Zhang" }),
    );
    const leaky = await rejectAs(1, `0x${"ab".repeat(32)}`, "leaky.json");
    expect(leaky.code).to.equal(2);
    expect(leaky.stderr).to.match(/claimantName/);
    const http = await fetch(`${stack.gateway.url}/reasons`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...reasonFor(BigInt(claimId), "reject", ASKED, 0n), diagnosis: "x" }),
    });
    expect([http.status, ((await http.json()) as { error: { code: string } }).error.code]).to.deep.equal([
      400,
      "INVALID_REASON",
    ]);
  });

  it("decides 2-of-3: a second member adopts the first one's public reason; the claimant disputes", async () => {
    const opened = await asMember(1, ["--json", "review", "open", claimId, "--out", join(dir, "open1")]);
    const { root } = JSON.parse(opened.stdout) as { root: string };
    const first = await rejectAs(1, root);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.match(/PUBLIC/);
    expect(first.stdout).to.match(/waiting for more members/);
    const shown = await asMember(2, ["review", "open", claimId, "--out", join(dir, "open2")]);
    const reasonCid = /: reject {2}reason (\S+)/.exec(shown.stdout)![1];
    const second = await asMember(2, [
      "review",
      "decide",
      claimId,
      "reject",
      "--reason-cid",
      reasonCid,
      "--evidence-root",
      root,
    ]);
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.match(/DECIDED/);
    // Anyone checks the decision against the evidence set they recompute themselves.
    const checked = await cli(["claim", "evidence-set", claimId], env);
    expect(checked.code, checked.stderr).to.equal(0);
    expect(checked.stdout).to.match(/evidence set of 1 item[\s\S]*the decision's root MATCHES/);
    const disputed = await asClaimant(["claim", "dispute", claimId]);
    expect(disputed.code, disputed.stderr).to.equal(0);
    expect(disputed.stdout).to.match(/is Disputed/);
    const timeline = await cli(["claim", "show", claimId], env);
    expect(timeline.stdout).to.match(/ClaimStateChanged {2}from=Rejected to=Disputed/);
    expect(timeline.stdout).to.match(/ClaimDecided {2}decision=reject/);
    const again = await asClaimant(["claim", "dispute", claimId]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/INVALID_CLAIM_STATE/);
  });

  it("prints help for the reviewer's commands", async () => {
    const help = await cli(["review", "--help"]);
    expect(help.stdout).to.match(/list[\s\S]*start[\s\S]*open[\s\S]*decide[\s\S]*pay/);
  });
});

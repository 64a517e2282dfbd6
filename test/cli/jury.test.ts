import { expect } from "chai";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider, Wallet } from "ethers";
import { AidProofClient } from "../../api/src/sdk/client";
import { JurorClient } from "../../api/src/jury/jurorClient";
import { juryCourtAt, readJuryCase, rosterOf } from "../../api/src/jury/caseReader";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin } from "../support/evidence";
import { decideClaim } from "../support/review";
import { makeJurors, waitFor } from "../support/jury";
import { cli } from "../support/processes";

const ASKED = 300_000n;

describe("aidproof jury (spawned, against the real stack)", function () {
  this.timeout(300_000);
  let stack: TestStack;
  let dir: string;
  let env: Record<string, string>;
  let provider: JsonRpcProvider;
  let claimId: bigint;
  let voter: string;
  let outsider: string;

  before(async () => {
    stack = await startTestStack({
      AIDPROOF_JURY_VOTING_SECONDS: "15",
      AIDPROOF_JURY_ROSTER_SIZE: "24",
      AIDPROOF_JURY_MIN_POOL_SIZE: "30",
      AIDPROOF_JURY_MIN_VALID_VOTES: "1",
      AIDPROOF_JURY_POOL_SECONDS: "0",
    });
    dir = await mkdtemp(join(tmpdir(), "aidproof-jury-cli-"));
    env = {
      AIDPROOF_GATEWAY_URL: stack.gateway.url,
      AIDPROOF_CLIENT_RPC_URL: stack.rpcUrl,
      AIDPROOF_CONSORTIUM: stack.config.descriptorFile,
      AIDPROOF_MEMBER_SALT: "platform-salt",
    };
    provider = new JsonRpcProvider(stack.rpcUrl, undefined, { batchMaxCount: 1 });
    const court = juryCourtAt(stack.descriptor.contracts.juryCourt, provider);
    // 36 jurors, each with a key file; the first registers through the CLI below, the rest through the SDK.
    const jurors = await makeJurors(
      new Wallet(stack.keys!.gateway),
      BigInt(stack.descriptor.chainId),
      stack.descriptor.contracts.juryCourt,
      36,
    );
    for (const [i, j] of jurors.entries()) await writeFile(join(dir, `juror-${i}.key`), `${j.wallet.privateKey}\n`);
    const credential = await cli(
      [
        "jury",
        "credential",
        "--voter",
        jurors[0].wallet.address,
        "--member-id",
        "M-0001",
        "--qualified-at",
        "1",
        "--platform-key",
        join(stack.dataDir, "keys.json"),
        "--out",
        join(dir, "credential.json"),
      ],
      env,
    );
    expect(credential.code, credential.stderr).to.equal(0);
    const registered = await cli(
      ["jury", "register", "--voter-key", join(dir, "juror-0.key"), "--credential", join(dir, "credential.json")],
      env,
    );
    expect(registered.code, registered.stderr).to.equal(0);
    expect(registered.stdout).to.match(/registered 0x[0-9a-f]{40}: you join the next juror pool/);
    for (const j of jurors.slice(1))
      await new JurorClient(stack.gateway.url, j.wallet, chainPin(stack)).register(j.entry);
    await waitFor(
      async () => (await court.pool(await court.latestPool())).size,
      (size) => size === 36n,
    );

    const claimant = new AidProofClient(stack.gateway.url, Wallet.createRandom(), chainPin(stack));
    claimId = BigInt((await claimant.createClaim({ planId: 1n, amount: ASKED, metadataCid: "bafkreimeta" })).claimId);
    await decideClaim(stack, claimId, "reject", 0n, ASKED);
    await claimant.dispute(claimId);
    const view = await waitFor(
      () => readJuryCase(court, claimId),
      (v) => v?.status === "Voting",
    );
    const roster = rosterOf(view!, await stack.gateway.jury.pool(view!.poolId));
    const index = (on: boolean) => jurors.findIndex((j) => roster.has(j.wallet.address.toLowerCase()) === on);
    voter = join(dir, `juror-${index(true)}.key`);
    outsider = join(dir, `juror-${index(false)}.key`);
  });

  after(async () => {
    provider?.destroy();
    await stack?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("jury cases: shows the case voting, with its closing time", async () => {
    const listed = await cli(["jury", "cases"], env);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(new RegExp(`claim ${claimId}: jury Voting, round 1`));
    expect(listed.stdout).to.match(/voting closes at 20\d\d-/);
  });

  it("jury vote: a roster juror's sealed ballot is accepted and its receipt kept; an outsider is refused", async () => {
    const receipt = join(dir, "receipt.json");
    const voted = await cli(
      ["jury", "vote", String(claimId), "overturn", "--voter-key", voter, "--receipt-out", receipt],
      env,
    );
    expect(voted.code, voted.stderr).to.equal(0);
    expect(voted.stdout).to.match(/accepted at .*signed receipt is in/);
    expect(JSON.parse(await readFile(receipt, "utf8"))).to.include({ claimId: claimId.toString(), sequence: 1 });
    const refused = await cli(["jury", "vote", String(claimId), "uphold", "--voter-key", outsider], env);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/NOT_A_JUROR/);
    const badChoice = await cli(["jury", "vote", String(claimId), "maybe", "--voter-key", voter], env);
    expect(badChoice.code).to.equal(2);
  });

  it("jury recount: exits 4 while nothing is sealed", async () => {
    const early = await cli(["jury", "recount", String(claimId)], env);
    expect(early.code, early.stdout + early.stderr).to.equal(4);
  });

  it("after the verdict: receipt valid, proof honoured, recount matches; a tampered receipt fails", async () => {
    const court = juryCourtAt(stack.descriptor.contracts.juryCourt, provider);
    await waitFor(
      () => readJuryCase(court, claimId),
      (v) => v?.status === "Decided",
      90_000,
    );
    const receipt = join(dir, "receipt.json");
    const valid = await cli(["jury", "receipt", receipt], env);
    expect(valid.code, valid.stderr).to.equal(0);
    expect(valid.stdout).to.match(/^VALID receipt/);
    const proof = await cli(["jury", "proof", String(claimId), "--voter-key", voter, "--receipt", receipt], env);
    expect(proof.code, proof.stderr).to.equal(0);
    expect(proof.stdout).to.match(/^INCLUDED: .*your receipt is honoured/);
    const recount = await cli(["jury", "recount", String(claimId)], env);
    expect(recount.code, recount.stderr).to.equal(0);
    expect(recount.stdout).to.match(/recount: uphold 0, overturn 1, invalid 0/);
    expect(recount.stdout).to.match(/MATCHES the tally on chain \(Decided\)/);
    const tampered = JSON.parse(await readFile(receipt, "utf8")) as { sequence: number };
    tampered.sequence = 7; // claims a later ballot than the gateway acknowledged
    await writeFile(join(dir, "tampered.json"), JSON.stringify(tampered));
    const forged = await cli(["jury", "receipt", join(dir, "tampered.json")], env);
    expect(forged.code).to.equal(1);
  });
});

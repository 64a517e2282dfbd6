/**
 * `npm run demo`: a scripted claimant and the three local member organizations against the running
 * stack (`npm start`). The claimant files a claim, submits three files (one public, two private),
 * waits until they are confirmed and verifies one proof against the chain alone. Then the members
 * review it with their own keys (data/keys.json): they open the evidence set, approve it 2-of-3
 * with a public reason and record the payout. A second claim is rejected and its claimant disputes
 * it. Last, the period's announcement is published, confirmed by the members and one entry verified.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Wallet } from "ethers";
import { AidProofClient } from "../api/src/sdk/client";
import { verifyEvidenceBundle } from "../api/src/verify/evidence";
import { parseDescriptor } from "../api/src/verify/descriptor";
import { AnnouncementRegistry__factory } from "../typechain-types";
import { Reviewer } from "../api/src/review/reviewer";
import { DomainError } from "../api/src/errors";
import { verifyAnnouncementEntry, type AnnouncementEntry } from "../api/src/announcements/announcement";
import type { ReasonDocument } from "../api/src/verify/reason";
import { JsonRpcProvider } from "ethers";

const ASKED = 300_000n;

function reason(claimId: string, decision: "approve" | "reject", approved: bigint, publicText: string): ReasonDocument {
  return {
    version: 1,
    type: "aidproof/decision-reason",
    claimId,
    decision,
    illnessCode: "CI-07",
    hospitalTier: "tertiary",
    ageBand: "40-59",
    region: "CN-ZJ",
    diagnosisMonth: "2026-11",
    amountRequested: ASKED.toString(),
    amountApproved: approved.toString(),
    planRule: decision === "approve" ? "2.1 covered critical illness" : "3.2 waiting period",
    publicText,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retries while the evidence set waits for a batch anchored before the review to be confirmed. */
async function settled<T>(work: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "EVIDENCE_SET_UNSETTLED") || i > 240) throw error;
      await sleep(500);
    }
  }
}

async function main(): Promise<void> {
  const gateway = process.env.AIDPROOF_GATEWAY_URL ?? "http://127.0.0.1:8080";
  const rpc = process.env.AIDPROOF_CLIENT_RPC_URL ?? "http://127.0.0.1:8545";
  const out = resolve(process.env.AIDPROOF_DEMO_DIR ?? "demo-output");
  mkdirSync(out, { recursive: true });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const claimant = Wallet.createRandom();
  const descriptorFile =
    process.env.AIDPROOF_CONSORTIUM ?? join(process.env.AIDPROOF_DATA_DIR ?? "data", "consortium.json");
  const descriptor = parseDescriptor(JSON.parse(readFileSync(descriptorFile, "utf8")));
  // The claimant reads members and keys from the chain, pinned to the consortium: never from the gateway.
  const client = new AidProofClient(gateway, claimant, { rpcUrl: rpc, descriptor });
  say(`claimant ${claimant.address} (a fresh key; it holds no ether: the gateway relays)`);

  const { claimId } = await client.createClaim({ planId: 1n, amount: 300_000n, metadataCid: "bafkreidemometadata" });
  say(`filed claim ${claimId}`);

  const files = [
    {
      name: "announcement.txt",
      kind: "public" as const,
      body: `Claim ${claimId}: critical illness, redacted announcement.\n`,
    },
    {
      name: "diagnosis-report.txt",
      kind: "private" as const,
      body: `Diagnosis for claim ${claimId}: confidential.\n`.repeat(200),
    },
    {
      name: "hospital-invoice.txt",
      kind: "private" as const,
      body: `Invoice for claim ${claimId}: RMB 300,000.\n`.repeat(50),
    },
  ];
  const submitted = [];
  for (const f of files) {
    const path = join(out, f.name);
    writeFileSync(path, f.body);
    const result = await client.submitEvidence(BigInt(claimId), path, { kind: f.kind });
    submitted.push(result);
    say(`submitted ${f.name} (${f.kind}): receipt ${result.receiptId}, ${result.cid}`);
  }

  say("waiting for the batch to be anchored and confirmed by M validators...");
  const bundles: string[] = [];
  for (const s of submitted) {
    const receipt = await client.waitForReceipt(s.receiptId, "confirmed", 120_000);
    const path = join(out, `${s.receiptId}.proof.json`);
    writeFileSync(path, `${JSON.stringify(receipt.proof, null, 2)}\n`);
    bundles.push(path);
    say(`${receipt.status}: ${s.receiptId} by ${receipt.attestations?.filter((a) => a.valid).length ?? 0} validators`);
  }

  const check = await verifyEvidenceBundle(JSON.parse(readFileSync(bundles[0], "utf8")), {
    descriptor,
    rpcUrl: rpc,
    file: readFileSync(join(out, files[0].name)),
  });
  say(`verified ${files[0].name} against ${rpc} alone, pinned to ${descriptorFile}: ${check.status}`);
  say(`proof bundles: ${out}`);
  say(
    `try: npx aidproof verify ${bundles[0]} --consortium ${descriptorFile} --rpc ${rpc} --file ${join(out, files[0].name)}`,
  );
  say(`or in a browser: ${gateway}/verify/ (drop ${bundles[0]} and ${join(out, files[0].name)})`);
  say(`the claim's public timeline: ${gateway}/verify/#claim=${claimId}`);
  if (!check.ok) process.exitCode = 1;

  // --- The members review, with their own keys, through their own RPC endpoint.
  const dataDir = process.env.AIDPROOF_DATA_DIR ?? "data";
  const keys = JSON.parse(readFileSync(join(dataDir, "keys.json"), "utf8")) as {
    members: { name: string; validatorKey: string; encryptionKey: string }[];
  };
  const members = keys.members.map(
    (m) =>
      new Reviewer({
        rpcUrl: rpc,
        descriptor,
        gatewayUrl: gateway,
        validatorKey: m.validatorKey,
        encryptionKey: m.encryptionKey,
      }),
  );
  const names = keys.members.map((m) => m.name);
  try {
    const a = BigInt(claimId);
    await members[0].startReview(a);
    say(`\n${names[0]} started the review of claim ${a}`);
    const opened = await settled(() => members[1].open(a, join(out, `review-${a}`)));
    say(
      `${names[1]} opened its evidence set: ${opened.items.length} items into ${join(out, `review-${a}`)}, root ${opened.set.root}`,
    );
    const approve = reason(claimId, "approve", ASKED, "Covered critical illness, diagnosed after the waiting period.");
    for (const m of [0, 1]) {
      const e = await members[m].decide(a, {
        decision: "approve",
        amount: ASKED,
        reason: approve,
        evidenceRoot: opened.set.root,
      });
      say(
        `${names[m]} endorsed: approve ${ASKED}${e.decided ? ` -> DECIDED 2-of-3, public reason ${e.reasonCid}` : ""}`,
      );
    }
    await members[2].recordPayout(a, "DEMO-BANK-0001");
    say(`${names[2]} recorded the payout, reference DEMO-BANK-0001`);

    const { claimId: second } = await client.createClaim({
      planId: 1n,
      amount: ASKED,
      metadataCid: "bafkreidemometadata",
    });
    const b = BigInt(second);
    const file = join(out, "second-claim.txt");
    writeFileSync(file, `Claim ${second}: hospital discharge summary, redacted.\n`);
    const { receiptId } = await client.submitEvidence(b, file, { kind: "public" });
    await client.waitForReceipt(receiptId, "confirmed", 120_000);
    await members[0].startReview(b);
    const set = await settled(() => members[0].evidenceSet(b));
    const reject = reason(second, "reject", 0n, "Diagnosed within the plan's waiting period.");
    for (const m of [0, 2])
      await members[m].decide(b, { decision: "reject", amount: 0n, reason: reject, evidenceRoot: set.root });
    say(`\nclaim ${b} rejected 2-of-3 (${names[0]}, ${names[2]})`);
    const disputed = await client.dispute(b);
    say(`its claimant disputed it: claim ${b} is ${disputed.state} (the member jury follows)`);

    // --- The period's announcement: published by the gateway once the period closes, confirmed by the members.
    const provider = new JsonRpcProvider(rpc, undefined, { batchMaxCount: 1 });
    try {
      const registry = AnnouncementRegistry__factory.connect(descriptor.contracts.announcementRegistry, provider);
      const block = await provider.getBlock(disputed.blockNumber);
      const period = await registry.periodOf(block!.timestamp);
      const [, end] = await registry.periodBounds(period);
      say(
        `\nwaiting for period ${period} to close (${new Date(Number(end) * 1000).toISOString()}) and its announcement to be confirmed...`,
      );
      for (let i = 0; Number((await registry.announcement(period)).status) !== 2; i++) {
        if (i > 600) throw new Error(`period ${period}'s announcement was not confirmed`);
        await sleep(1_000);
      }
      const served = (await (await fetch(`${gateway}/announcements/${period}`)).json()) as {
        entries: { entry: AnnouncementEntry; proof: string[] }[];
      };
      const anchored = await registry.announcement(period);
      const entry = served.entries.find((e) => e.entry.claimId === second);
      const ok = !!entry && verifyAnnouncementEntry(entry.entry, entry.proof, anchored.root);
      say(
        `period ${period}: ${served.entries.length} entries, confirmed by the members; claim ${b}'s entry ${ok ? "VERIFIED" : "NOT VERIFIED"} against the root on chain`,
      );
      say(`try: npx aidproof announcements show ${period} --consortium ${descriptorFile} --rpc ${rpc}`);
      if (!ok) process.exitCode = 1;
    } finally {
      provider.destroy();
    }
  } finally {
    for (const m of members) m.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

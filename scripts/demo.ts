/**
 * `npm run demo`: a scripted claimant and the three local member organizations against the running
 * stack (`npm start`). The claimant files a claim, submits three files (one public, two private),
 * waits until they are confirmed and verifies one proof against the chain alone. Then the members
 * review it with their own keys (data/keys.json): they open the evidence set, approve it 2-of-3
 * with a public reason and record the payout. A second claim is rejected and its claimant disputes
 * it, after 240 simulated members registered as jurors. The drawn jurors vote with sealed ballots;
 * the period's announcement is published, confirmed by the members and one entry verified; last,
 * the jury's verdict is awaited, recounted from the chain and IPFS alone, and one receipt checked.
 * Cost sharing runs beside it: the platform enrols 100 members and the members set an 8% fee before
 * the payout; last, the payout's period is charged to the members and one member's charge verified.
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
import { JsonRpcProvider, id } from "ethers";
import { type ChainPin } from "../api/src/sdk/client";
import { type ConsortiumDescriptor } from "../api/src/verify/descriptor";
import { signCredential } from "../api/src/jury/ballot";
import { JurorClient } from "../api/src/jury/jurorClient";
import { juryCourtAt, readJuryCase } from "../api/src/jury/caseReader";
import type { BallotReceipt } from "../api/src/jury/juryService";
import { recountCase } from "../api/src/jury/publicRecount";
import { fetchVerifiedBytes } from "../api/src/store/gatewayClient";
import { ChargeRegistry__factory, Consortium__factory, MembershipRegistry__factory } from "../typechain-types";
import { membershipDomain, signMembershipChanges } from "../api/src/charges/membership";
import { verifyChargeProof } from "../api/src/verify/charges";
import type { MemberChargeView } from "../api/src/charges/chargeService";
import { ProposalAction, proposalParams } from "../api/src/chain/governance";

const ASKED = 300_000n;
/** Members sharing the costs in the demo, and the management fee the members set (basis points). */
const MEMBERS = 100;
const FEE_BPS = 800;

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

/** Simulated jurors: enough for the dev stack's rules (a pool of 200 or more, 50 valid votes). */
const JURORS = 240;

/**
 * Registers `count` jurors with credentials the platform (the dev stack's gateway key) signs, and
 * waits until a juror pool proposed after them is confirmed by the members: the case draws from it.
 */
async function registerJurors(
  gateway: string,
  pin: ChainPin,
  platformKey: string,
  count: number,
  say: (line: string) => void,
): Promise<JurorClient[]> {
  const platform = new Wallet(platformKey);
  const jurors: JurorClient[] = [];
  for (let i = 0; i < count; i++) {
    const wallet = Wallet.createRandom();
    const credential = {
      voter: wallet.address.toLowerCase(),
      memberHash: id(`demo-member-${wallet.address}`),
      qualifiedAt: Math.floor(Date.now() / 1000) - 86_400,
    };
    const juror = new JurorClient(gateway, wallet, pin);
    const signature = await signCredential(
      platform,
      BigInt(pin.descriptor.chainId),
      pin.descriptor.contracts.juryCourt,
      credential,
    );
    await juror.register({ ...credential, credential: signature });
    jurors.push(juror);
  }
  const registeredAt = Math.floor(Date.now() / 1000);
  say(
    `${count} members registered voting keys with the platform's credentials; waiting for the members to confirm the juror pool...`,
  );
  const provider = new JsonRpcProvider(pin.rpcUrl, undefined, { batchMaxCount: 1 });
  try {
    const court = juryCourtAt(pin.descriptor.contracts.juryCourt, provider);
    for (let i = 0; ; i++) {
      const pool = await court.pool(await court.latestPool());
      if (pool.proposedAt >= BigInt(registeredAt)) {
        say(`juror pool of ${pool.size} confirmed by the members`);
        return jurors;
      }
      if (i > 120) throw new Error("no juror pool was confirmed");
      await sleep(1_000);
    }
  } finally {
    provider.destroy();
  }
}

/** Waits for the draw, then every drawn juror votes (two thirds to overturn); returns the receipts by juror. */
async function vote(
  jurors: JurorClient[],
  claimId: bigint,
  say: (line: string) => void,
): Promise<Map<JurorClient, BallotReceipt>> {
  let view = await jurors[0].case(claimId).catch(() => undefined);
  for (let i = 0; view?.status !== "Voting"; i++) {
    if (i > 120) throw new Error(`the jury of claim ${claimId} was not drawn`);
    await sleep(1_000);
    view = await jurors[0].case(claimId).catch(() => undefined);
  }
  say(
    `jury drawn for claim ${claimId} (seed ${view.seed.slice(0, 18)}..., ${view.keyCount} ballot keys); voting closes at ${new Date(view.votingClosesAt * 1000).toISOString()}`,
  );
  const receipts = new Map<JurorClient, BallotReceipt>();
  let n = 0;
  for (const juror of jurors) {
    try {
      receipts.set(juror, await juror.vote(claimId, n++ % 3 === 0 ? "uphold" : "overturn"));
    } catch (error) {
      if (!(error instanceof DomainError && error.code === "NOT_A_JUROR")) throw error;
      n--;
    }
  }
  say(
    `${receipts.size} drawn jurors voted, each ballot sealed to the members' keys; each holds the gateway's signed receipt`,
  );
  return receipts;
}

/** Waits for the verdict, recounts it from the chain and IPFS alone, and checks one juror's receipt. */
async function verdict(
  provider: JsonRpcProvider,
  descriptor: ConsortiumDescriptor,
  gateway: string,
  claimId: bigint,
  receipts: Map<JurorClient, BallotReceipt>,
  say: (line: string) => void,
): Promise<boolean> {
  say(`\nwaiting for the jury of claim ${claimId}: seal after the deadline, keys revealed, tally, recounts...`);
  const court = juryCourtAt(descriptor.contracts.juryCourt, provider);
  let view = await readJuryCase(court, claimId);
  for (let i = 0; view?.status !== "Decided"; i++) {
    if (i > 300) throw new Error(`the jury of claim ${claimId} did not decide (${view?.status})`);
    await sleep(1_000);
    view = await readJuryCase(court, claimId);
  }
  say(
    `the jury ${view.overturned ? "OVERTURNED" : "UPHELD"} the rejection: uphold ${view.upholdVotes}, overturn ${view.overturnVotes}, confirmed by the members`,
  );
  const recount = await recountCase(provider, descriptor, claimId, (cid) => fetchVerifiedBytes(gateway, cid, 2 ** 30));
  say(
    `recounted from the chain and IPFS alone: uphold ${recount.upholdVotes}, overturn ${recount.overturnVotes}: ${recount.matches ? "MATCHES" : "DOES NOT MATCH"} the tally on chain`,
  );
  const [juror, receipt] = [...receipts][0];
  const check = await juror.checkProof(claimId, receipt);
  say(`juror ${juror.address}: ballot ${check.honoured ? "INCLUDED, receipt honoured" : check.problem}`);
  say(`try: npx aidproof jury recount ${claimId} --consortium ... --rpc ...`);
  return !!recount.matches && !!check.honoured;
}

/**
 * The platform hands the gateway MEMBERS joins, signed with its (GATEWAY) key; the gateway records
 * them on chain as a membership batch. A member is a salted hash of the platform's member id.
 */
async function joinMembers(
  gateway: string,
  provider: JsonRpcProvider,
  descriptor: ConsortiumDescriptor,
  platformKey: string,
  say: (line: string) => void,
): Promise<string[]> {
  const members = Array.from({ length: MEMBERS }, (_, n) => id(`demo-salt:member-${n}`));
  const changes = members.map((member) => ({ kind: "join" as const, member }));
  const domain = membershipDomain(BigInt(descriptor.chainId), descriptor.contracts.membershipRegistry);
  const sequence = BigInt(Date.now());
  const signature = await signMembershipChanges(new Wallet(platformKey), domain, sequence, changes);
  const response = await fetch(new URL("/members/changes", gateway), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ sequence: sequence.toString(), changes, signature }),
  });
  if (response.status !== 202)
    throw new Error(`membership changes refused: HTTP ${response.status} ${await response.text()}`);
  const registry = MembershipRegistry__factory.connect(descriptor.contracts.membershipRegistry, provider);
  const before = await registry.batchCount();
  for (let i = 0; (await registry.batchCount()) === before; i++) {
    if (i > 120) throw new Error("the membership batch was not recorded");
    await sleep(500);
  }
  say(
    `\nthe platform enrolled ${MEMBERS} members (salted hashes of member ids), recorded on chain as a membership batch`,
  );
  return members;
}

/** Two of the three members set the management fee by a consortium proposal: the only way it changes. */
async function setFee(
  provider: JsonRpcProvider,
  descriptor: ConsortiumDescriptor,
  keys: { members: { name: string; validatorKey: string }[] },
  say: (line: string) => void,
): Promise<void> {
  const [first, second] = keys.members.map((m) =>
    Consortium__factory.connect(descriptor.contracts.consortium, new Wallet(m.validatorKey, provider)),
  );
  if ((await first.feeRate()) === BigInt(FEE_BPS)) return;
  const deadline = (await provider.getBlock("latest"))!.timestamp + 3_600;
  await (await first.propose(ProposalAction.SetFeeRate, proposalParams.feeRate(FEE_BPS), deadline)).wait();
  const proposal = await first.proposalCount();
  await (await second.approve(proposal)).wait();
  await (await first.execute(proposal)).wait();
  say(
    `${keys.members[0].name} and ${keys.members[1].name} set the management fee to ${FEE_BPS / 100}% by proposal ${proposal}`,
  );
}

/** Waits until the period of the payout is charged, then checks one member's charge against the chain. */
async function memberCharge(
  provider: JsonRpcProvider,
  descriptor: ConsortiumDescriptor,
  gateway: string,
  payoutTx: string,
  member: string,
  say: (line: string) => void,
): Promise<boolean> {
  const periods = AnnouncementRegistry__factory.connect(descriptor.contracts.announcementRegistry, provider);
  const charges = ChargeRegistry__factory.connect(descriptor.contracts.chargeRegistry, provider);
  const paidIn = (await provider.getTransactionReceipt(payoutTx))!.blockNumber;
  const period = await periods.periodOf((await provider.getBlock(paidIn))!.timestamp);
  say(`\nwaiting for period ${period}'s charges (its payout + fee over the members) to be proposed and confirmed...`);
  for (let i = 0; (await charges.nextPeriod()) <= period; i++) {
    if (i > 300) throw new Error(`period ${period}'s charges were not confirmed`);
    await sleep(1_000);
  }
  const anchored = await charges.charges(period);
  const response = await fetch(new URL(`/members/${member}/charges?period=${period}`, gateway));
  const charge = (await response.json()) as MemberChargeView;
  const ok =
    response.ok &&
    verifyChargeProof(anchored.root, {
      period,
      memberHash: member,
      amount: BigInt(charge.amount),
      proof: charge.proof,
    });
  say(
    `period ${period}: bill ${anchored.total} (payouts + ${anchored.fee} fee) over ${anchored.memberCount} members, ` +
      `${anchored.charged} charged, ${anchored.carriedOut} carried; confirmed by the members`,
  );
  say(`member ${member} pays ${charge.amount}: ${ok ? "VERIFIED" : "NOT VERIFIED"} against the root on chain`);
  say(`try: npx aidproof charges show ${member} --period ${period} --consortium ... --rpc ...`);
  return ok;
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
    gateway: string;
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
  const chainReader = new JsonRpcProvider(rpc, undefined, { batchMaxCount: 1 });
  const enrolled = await joinMembers(gateway, chainReader, descriptor, keys.gateway, say);
  await setFee(chainReader, descriptor, keys, say);
  chainReader.destroy();
  let payoutTx = "";
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
    payoutTx = await members[2].recordPayout(a, "DEMO-BANK-0001");
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
    const jurors = await registerJurors(gateway, { rpcUrl: rpc, descriptor }, keys.gateway, JURORS, say);
    const disputed = await client.dispute(b);
    say(`its claimant disputed it: claim ${b} is ${disputed.state} (the member jury follows)`);
    const voted = await vote(jurors, b, say);

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
      if (!(await verdict(provider, descriptor, gateway, b, voted, say))) process.exitCode = 1;
      if (!(await memberCharge(provider, descriptor, gateway, payoutTx, enrolled[7], say))) process.exitCode = 1;
    } finally {
      provider.destroy();
      for (const j of jurors) j.destroy();
    }
  } finally {
    for (const m of members) m.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

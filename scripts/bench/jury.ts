/**
 * The member jury at scale, one run:
 *  A. Ballots accepted per second through the gateway API (`npm start`'s stack in a child process,
 *     validators on, 1 s blocks), beside the same load generator on GET /health; then the case closed
 *     end to end (seal, reveal, tally, M recounts, outcome) and its gas, beside the same ballots cast
 *     one transaction each (NaiveBallotBox).
 *  B. A 250,000-ballot case, on this process: the close (every signature verified and every ballot
 *     opened on worker threads, the ballot tree, the manifest stored in the embedded IPFS store, plus
 *     one anchoring transaction as measured in A) and one validator's recount from the stored
 *     manifest, with peak memory.
 *   npm run bench:jury          (API_BALLOTS=20000 BALLOTS=250000 CLIENTS=128 to change: many jurors vote at once;
 *                                API_BALLOTS=400 BALLOTS=5000 is a quick run)
 */
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "node:http";
import { Worker } from "node:worker_threads";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, id, randomBytes } from "ethers";
import { ecdsaSign } from "secp256k1";
import NaiveBallotBoxArtifact from "../../artifacts/contracts/bench/NaiveBallotBox.sol/NaiveBallotBox.json";
import { AidProofClient } from "../../api/src/sdk/client";
import { parseDescriptor, type ConsortiumDescriptor } from "../../api/src/verify/descriptor";
import { JurySignatures } from "../../api/src/jury/ballot";
import { deriveBallotKey, envelopeLength } from "../../api/src/jury/ballotKeys";
import { ballotSetRoot, encodeBallotSet, type StoredBallot } from "../../api/src/jury/ballotSet";
import { juryCourtAt, readJuryCase, rosterOf, type JuryCaseView } from "../../api/src/jury/caseReader";
import { countBallotsParallel, recountBallotSet, type CaseFacts } from "../../api/src/jury/recount";
import { Sortition, drawRoster, poolManifest, type PoolEntry } from "../../api/src/jury/roster";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { LocalStack } from "../../api/src/node/localStack";
import { decideClaim } from "../../test/support/review";
import { freePort } from "../support/ports";
import { cpuSeconds, rssMb, send, stackOutputTail, startStackProcess, stopStackProcess } from "../support/stackProcess";
import type { BallotJob } from "./juryWorker";

const API_BALLOTS = Number(process.env.API_BALLOTS ?? 20_000);
const BALLOTS = Number(process.env.BALLOTS ?? 250_000);
const CLIENTS = Number(process.env.CLIENTS ?? 128);
const VOTING_SECONDS = Number(process.env.VOTING_SECONDS ?? Math.max(60, Math.ceil(API_BALLOTS / 200)));
const THREADS = cpus().length;
const WORKER = join(__dirname, "juryWorker.ts");

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

function inWorker<T>(job: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(WORKER)});`,
      { eval: true, workerData: job },
    );
    worker.once("message", (result: T) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

/** Splits `items` over one worker per core. */
async function parallel<I, O>(items: I[], job: (part: I[]) => object): Promise<O[]> {
  const size = Math.ceil(items.length / THREADS);
  const parts = Array.from({ length: THREADS }, (_, i) => items.slice(i * size, (i + 1) * size)).filter(
    (p) => p.length,
  );
  return (await Promise.all(parts.map((part) => inWorker<O[]>(job(part))))).flat();
}

async function addresses(count: number): Promise<string[]> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  return parallel<number, string>(indexes, (part) => ({
    task: "addresses",
    from: part[0],
    to: part[part.length - 1] + 1,
  }));
}

async function sealedBallots(
  base: Omit<BallotJob, "jurors" | "task">,
  jurors: [number, number][],
): Promise<StoredBallot[]> {
  const made = await parallel<[number, number], StoredBallot>(jurors, (part) => ({
    ...base,
    task: "ballots",
    jurors: part,
  }));
  return made.map((b) => ({ ...b, envelope: Buffer.from(b.envelope) }));
}

/** Fires `bodies` at `url` from CLIENTS kept-alive connections; resolves with the rate of `expected` answers. */
async function load(url: string, method: string, bodies: (Buffer | undefined)[], expected: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const body = bodies[i];
        const res = await send(agent, url, method, body && { bytes: body, contentType: "application/json" });
        if (res.status !== expected) throw new Error(`${method} ${url}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  return bodies.length / seconds;
}

interface ApiFigures {
  ballotsPerSecond: number;
  /** CPU milliseconds per ballot: the whole stack process, and the load generator. */
  cpuPerBallotMs: { stack: number; generator: number };
  healthPerSecond: number;
  ballots: number;
  closeSeconds: number;
  anchorSeconds: number;
  aidproofGas: bigint;
  naiveGasPerBallot: bigint;
  peakRssMb: number;
}

async function waitCase(court: ReturnType<typeof juryCourtAt>, claimId: bigint, status: string, timeoutMs: number) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const view = await readJuryCase(court, claimId);
    if (view?.status === status) return view;
    if (Date.now() > until) throw new Error(`case of claim ${claimId}: ${view?.status}, waited for ${status}`);
    await sleep(500);
  }
}

async function partA(): Promise<ApiFigures> {
  const dataDir = await mkdtemp(join(tmpdir(), "aidproof-bench-jury-"));
  const [port, chainPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${port}`;
  const rpcUrl = `http://127.0.0.1:${chainPort}`;
  const pool = API_BALLOTS + Math.ceil(API_BALLOTS / 50);
  const child = await startStackProcess({
    AIDPROOF_DATA_DIR: dataDir,
    AIDPROOF_PORT: String(port),
    AIDPROOF_CHAIN_PORT: String(chainPort),
    AIDPROOF_BLOCK_TIME_SECONDS: "1",
    AIDPROOF_RATE_LIMIT_PER_MINUTE: "100000000",
    AIDPROOF_LOG_LEVEL: "warn",
    AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: "86400",
    // One pool once the registrations are in (they take well under a minute), not one every few seconds.
    AIDPROOF_JURY_POOL_SECONDS: "60",
    AIDPROOF_JURY_VOTING_SECONDS: String(VOTING_SECONDS),
    AIDPROOF_JURY_MIN_POOL_SIZE: String(pool),
    AIDPROOF_JURY_ROSTER_SIZE: String(pool - 1),
    AIDPROOF_JURY_MIN_VALID_VOTES: "1",
  });
  const provider = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1, pollingInterval: 100 });
  let peakRss = rssMb(child.pid!);
  const sampler = setInterval(() => {
    if (child.exitCode === null) peakRss = Math.max(peakRss, rssMb(child.pid!));
  }, 200);
  try {
    const keys = JSON.parse(readFileSync(join(dataDir, "keys.json"), "utf8")) as LocalStack["keys"] & object;
    const descriptor = parseDescriptor(JSON.parse(readFileSync(join(dataDir, "consortium.json"), "utf8")));
    const chainId = BigInt(descriptor.chainId);
    const signatures = new JurySignatures(chainId, descriptor.contracts.juryCourt);
    const court = juryCourtAt(descriptor.contracts.juryCourt, provider);

    log(`A: registering ${fmt(pool)} jurors through the API...`);
    const voters = await addresses(pool);
    const platformKey = Buffer.from(keys.gateway.slice(2), "hex");
    const entries: PoolEntry[] = voters.map((voter, i) => {
      const credential = { voter, memberHash: id(`bench-member-${i}`), qualifiedAt: 1 };
      const { signature, recid } = ecdsaSign(signatures.credentialDigest(credential), platformKey);
      return { ...credential, credential: `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}` };
    });
    await load(
      `${url}/jury/jurors`,
      "POST",
      entries.map((e) => Buffer.from(JSON.stringify(e))),
      201,
    );
    const manifest = poolManifest(entries);
    for (;;) {
      const latest = await court.latestPool();
      if (latest > 0n && (await court.pool(latest)).size === BigInt(pool)) break;
      await sleep(1000);
    }

    log("A: a claim rejected 2-of-3 and disputed; waiting for the draw...");
    const claimant = Wallet.createRandom();
    const claimantClient = new AidProofClient(url, claimant, { rpcUrl, descriptor });
    const claimId = BigInt(
      (await claimantClient.createClaim({ planId: 1n, amount: 300_000n, metadataCid: "bafkreibench" })).claimId,
    );
    const stack = { keys, rpcUrl, descriptor, gateway: { url } } as unknown as LocalStack;
    await decideClaim(stack, claimId, "reject", 0n, 300_000n);
    await claimantClient.dispute(claimId);
    const view = await waitCase(court, claimId, "Voting", 120_000);
    const roster = rosterOf(view, manifest);
    const jurors = voters
      .map((voter, keyIndex): [number, number] => [keyIndex, roster.get(voter) ?? -1])
      .filter(([, poolIndex]) => poolIndex >= 0)
      .slice(0, API_BALLOTS);
    log(`A: sealing and signing ${fmt(jurors.length)} ballots on the jurors' side...`);
    const ballots = await sealedBallots(baseJob(view, descriptor, 0), jurors);
    const bodies = ballots.map((b) =>
      Buffer.from(
        JSON.stringify({
          round: view.round,
          juror: b.juror,
          sequence: b.sequence,
          envelope: `0x${b.envelope.toString("hex")}`,
          signature: b.signature,
        }),
      ),
    );
    log(`A: GET /health, then ${fmt(bodies.length)} ballots, ${CLIENTS} clients...`);
    const healthPerSecond = await load(`${url}/health`, "GET", new Array(bodies.length).fill(undefined), 200);
    const [stackCpu, clientCpu] = [cpuSeconds(child.pid!), process.cpuUsage()];
    const ballotsPerSecond = await load(`${url}/jury/cases/${claimId}/ballots`, "POST", bodies, 201);
    const generatorCpu = process.cpuUsage(clientCpu);
    const cpuPerBallotMs = {
      stack: ((cpuSeconds(child.pid!) - stackCpu) * 1000) / bodies.length,
      generator: (generatorCpu.user + generatorCpu.system) / 1000 / bodies.length,
    };
    if (Date.now() / 1000 > view.votingClosesAt)
      throw new Error("the ballots outlasted the voting window: raise VOTING_SECONDS");

    log("A: waiting for the verdict (seal, reveal, tally, recounts)...");
    while (Date.now() / 1000 <= view.votingClosesAt) await sleep(500);
    const closeStart = Date.now();
    const decided = await waitCase(court, claimId, "Decided", 600_000);
    const closeSeconds = (Date.now() - closeStart) / 1000;
    if (decided.upholdVotes + decided.overturnVotes !== ballots.length)
      throw new Error(`tally counted ${decided.upholdVotes + decided.overturnVotes} of ${ballots.length}`);

    const txs = new Set<string>();
    for (const filter of [
      court.filters.CaseOpened(claimId),
      court.filters.BallotKeyPublished(claimId),
      court.filters.JuryDrawn(claimId),
      court.filters.BallotsSealed(claimId),
      court.filters.BallotKeyRevealed(claimId),
      court.filters.TallySubmitted(claimId),
      court.filters.TallyConfirmed(claimId),
    ])
      for (const log of await court.queryFilter(filter, descriptor.deploymentBlock)) txs.add(log.transactionHash);
    let aidproofGas = 0n;
    for (const tx of txs) aidproofGas += (await provider.getTransactionReceipt(tx))!.gasUsed;
    const { gasPerBallot, anchorSeconds } = await naiveBallots(provider, keys.deployer, envelopeLength(view.keyCount));
    return {
      ballotsPerSecond,
      cpuPerBallotMs,
      healthPerSecond,
      ballots: ballots.length,
      closeSeconds,
      anchorSeconds,
      aidproofGas,
      naiveGasPerBallot: gasPerBallot,
      peakRssMb: peakRss,
    };
  } finally {
    clearInterval(sampler);
    provider.destroy();
    await stopStackProcess(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function baseJob(
  view: JuryCaseView,
  descriptor: ConsortiumDescriptor,
  receivedAt: number,
): Omit<BallotJob, "jurors" | "task"> {
  return {
    chainId: descriptor.chainId,
    juryCourt: descriptor.contracts.juryCourt,
    claimId: view.claimId,
    round: view.round,
    keyThreshold: view.keyThreshold,
    ballotKeys: view.ballotKeys.slice(0, view.keyCount).map((k) => k.publicKey),
    receivedAt,
  };
}

/** Gas of a ballot cast as its own transaction, and one transaction's send-to-receipt time. */
async function naiveBallots(provider: JsonRpcProvider, deployerKey: string, envelopeBytes: number) {
  const deployer = new NonceManager(new Wallet(deployerKey, provider));
  const factory = new ContractFactory(NaiveBallotBoxArtifact.abi, NaiveBallotBoxArtifact.bytecode, deployer);
  const box = await factory.deploy();
  await box.waitForDeployment();
  const cast = box.getFunction("castBallot");
  let gas = 0n;
  let seconds = 0;
  const samples = 10;
  for (let i = 0; i < samples; i++) {
    const started = Date.now();
    const tx = await cast(i + 1, randomBytes(envelopeBytes));
    gas += (await tx.wait())!.gasUsed;
    seconds += (Date.now() - started) / 1000;
  }
  return { gasPerBallot: gas / BigInt(samples), anchorSeconds: seconds / samples };
}

interface ScaleFigures {
  setupSeconds: number;
  countSeconds: number;
  treeSeconds: number;
  storeSeconds: number;
  recountSeconds: number;
  closePeakMb: number;
  recountPeakMb: number;
  manifestMb: number;
}

async function measurePeak<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = process.hrtime.bigint();
  try {
    const value = await work();
    return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9, peakMb: peak / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

async function partB(): Promise<ScaleFigures> {
  const setupStart = Date.now();
  const poolSize = BALLOTS + Math.ceil(BALLOTS / 20);
  log(`B: ${fmt(poolSize)} pool entries and ${fmt(BALLOTS)} sealed, signed ballots (the jurors' side, not timed)...`);
  const voters = await addresses(poolSize);
  const noCredential = `0x${"00".repeat(65)}`; // the recount draws from the pool; credentials are the pool check's
  const pool = poolManifest(
    voters.map((voter, i) => ({ voter, memberHash: id(`m-${i}`), qualifiedAt: 1, credential: noCredential })),
  );
  const seed = id("bench-seed");
  const roster = drawRoster(pool, new Sortition(seed, poolSize, poolSize - 1, 10));
  const indexOf = new Map(voters.map((v, i) => [v, i]));
  const jurors = [...roster]
    .slice(0, BALLOTS)
    .map(([voter, poolIndex]): [number, number] => [indexOf.get(voter)!, poolIndex]);
  const court = `0x${"ab".repeat(20)}`;
  const validatorKeys = [1, 2, 3].map((n) => deriveBallotKey(`0x${String(n).repeat(64)}`, court, 1n, 1));
  const view = { claimId: "1", round: 1, keyThreshold: 2, keyCount: 3 } as JuryCaseView;
  const ballots = await sealedBallots(
    {
      chainId: "31337",
      juryCourt: court,
      claimId: "1",
      round: 1,
      keyThreshold: 2,
      ballotKeys: validatorKeys.map((k) => `0x${k.publicKey.toString("hex")}`),
      receivedAt: 100,
    },
    jurors,
  );
  const facts: CaseFacts = {
    chainId: "31337",
    juryCourt: court,
    claimId: view.claimId,
    round: 1,
    deadline: 200,
    keyCount: 3,
    roster: [...roster],
    revealed: [0, 2].map((i) => ({
      index: i + 1,
      secretKey: `0x${validatorKeys[i].secretKey.toString("hex")}`,
      publicKey: `0x${validatorKeys[i].publicKey.toString("hex")}`,
    })),
  };
  const setupSeconds = (Date.now() - setupStart) / 1000;
  const dataDir = await mkdtemp(join(tmpdir(), "aidproof-bench-jury-store-"));
  const store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 2 ** 30 });
  try {
    log("B: closing (verify and open every ballot, build the tree, store the manifest)...");
    const count = await measurePeak(() => countBallotsParallel(ballots, facts));
    if (count.value.invalid.length)
      throw new Error(`${count.value.invalid.length} ballots invalid: ${count.value.invalid[0].reason}`);
    const tree = await measurePeak(async () => {
      const root = ballotSetRoot(ballots);
      return { root, manifest: encodeBallotSet({ claimId: "1", round: 1, keyCount: 3 }, ballots) };
    });
    const stored = await measurePeak(() => store.put(tree.value.manifest));
    log("B: one validator's recount from the stored manifest...");
    const recount = await measurePeak(async () => {
      const parts: Uint8Array[] = [];
      for await (const chunk of store.get(stored.value.cid)) parts.push(chunk);
      return recountBallotSet(Buffer.concat(parts), facts, { root: tree.value.root, count: ballots.length });
    });
    if (
      recount.value.upholdVotes !== count.value.upholdVotes ||
      recount.value.overturnVotes !== count.value.overturnVotes
    )
      throw new Error("the recount differs from the close's count");
    return {
      setupSeconds,
      countSeconds: count.seconds,
      treeSeconds: tree.seconds,
      storeSeconds: stored.seconds,
      recountSeconds: recount.seconds,
      closePeakMb: Math.max(count.peakMb, tree.peakMb, stored.peakMb),
      recountPeakMb: recount.peakMb,
      manifestMb: tree.value.manifest.length / 2 ** 20,
    };
  } finally {
    await store.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const a = await partA();
  const b = await partB();
  const close = b.countSeconds + b.treeSeconds + b.storeSeconds + a.anchorSeconds;
  console.log(`\nMember jury, ${THREADS} cores, one run\n`);
  console.log(`A. Through the gateway API (${CLIENTS} clients, validators on, 1 s blocks)`);
  console.log(
    `  ballots accepted/s            ${fmt(a.ballotsPerSecond).padStart(10)}   (${fmt(a.ballots)} ballots; target >= 2,000/s)`,
  );
  console.log(
    `  CPU per ballot                ${fmt(a.cpuPerBallotMs.stack, 2).padStart(10)} ms stack process, ${fmt(a.cpuPerBallotMs.generator, 2)} ms load generator`,
  );
  console.log(
    `  GET /health/s, same generator ${fmt(a.healthPerSecond).padStart(10)}   ballots at ${fmt((100 * a.ballotsPerSecond) / a.healthPerSecond)}% of the HTTP ceiling`,
  );
  console.log(
    `  deadline to verdict           ${fmt(a.closeSeconds, 1).padStart(10)} s (seal, key reveals, tally, M recounts, outcome applied)`,
  );
  console.log(
    `  peak stack RSS                ${fmt(a.peakRssMb).padStart(10)} MB (gateway, 3 validators, chain client, store)`,
  );
  const naive = a.naiveGasPerBallot * BigInt(a.ballots);
  console.log(`  gas, whole case (AidProof)    ${fmt(Number(a.aidproofGas)).padStart(14)}`);
  console.log(
    `  gas, one tx per ballot        ${fmt(Number(naive)).padStart(14)}   (${fmt(Number(a.naiveGasPerBallot))} per ballot; ${fmt(Number(naive) / Number(a.aidproofGas))}x AidProof)`,
  );
  console.log(
    `\nB. A ${fmt(BALLOTS)}-ballot case (${fmt(b.manifestMb, 1)} MB manifest; jurors' side built in ${fmt(b.setupSeconds)} s)`,
  );
  console.log(`  close: verify + open all      ${fmt(b.countSeconds, 1).padStart(10)} s (${THREADS} worker threads)`);
  console.log(`         tree + manifest        ${fmt(b.treeSeconds, 1).padStart(10)} s`);
  console.log(`         store (embedded IPFS)  ${fmt(b.storeSeconds, 1).padStart(10)} s`);
  console.log(`         anchor (one tx, A)     ${fmt(a.anchorSeconds, 1).padStart(10)} s`);
  console.log(
    `         total                  ${fmt(close, 1).padStart(10)} s (target < 120 s)  peak RSS ${fmt(b.closePeakMb)} MB`,
  );
  console.log(
    `  one validator's recount       ${fmt(b.recountSeconds, 1).padStart(10)} s (target < 120 s)  peak RSS ${fmt(b.recountPeakMb)} MB`,
  );
  console.log(
    `  chain cost, ${fmt(BALLOTS)} ballots one tx each: ${fmt(Number(a.naiveGasPerBallot * BigInt(BALLOTS)))} gas, ${fmt(Number(a.naiveGasPerBallot * BigInt(BALLOTS)) / Number(a.aidproofGas))}x the whole AidProof case`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (stackOutputTail()) console.error(`stack output (tail):\n${stackOutputTail()}`);
  process.exitCode = 1;
});

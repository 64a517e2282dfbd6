/**
 * End-to-end ingest: 10 KB evidence items from 32 concurrent clients through the gateway API to
 * anchored on a chain with 1 s blocks, beside the same stack anchoring one item per transaction
 * (batch size 1), in one run. Prints items/s, upload-to-anchored p50/p99 and the API's peak RSS.
 *   npm run bench:ingest            (ITEMS=20000 BASELINE_ITEMS=1500 CLIENTS=32 to change;
 *                                    ITEMS=40 BASELINE_ITEMS=10 CLIENTS=4 is a quick run)
 */
import { randomBytes, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "node:http";
import { Wallet } from "ethers";
import { AidProofClient } from "../../api/src/sdk/client";
import { parseDescriptor } from "../../api/src/verify/descriptor";
import { EVIDENCE_TYPES, evidenceDomain } from "../../api/src/chain/typedData";
import { freePort } from "../support/ports";
import { rssMb, send, stackOutputTail, startStackProcess, stopStackProcess } from "../support/stackProcess";

const ITEMS = Number(process.env.ITEMS ?? 20_000);
const BASELINE_ITEMS = Number(process.env.BASELINE_ITEMS ?? 1_500);
const CLIENTS = Number(process.env.CLIENTS ?? 32);
const ITEM_BYTES = 10_000;

interface Scenario {
  name: string;
  items: number;
  maxItems: number;
  intervalMs: number;
  inFlight: number;
}

interface Figures {
  /** Share of one core the load generator itself used while uploading: it shares the machine. */
  clientCores: number;
  itemsPerSecond: number;
  acceptedPerSecond: number;
  p50: number;
  p99: number;
  peakRssMb: number;
}

/** A ready multipart body: building it is the client's work, kept out of the timed window. */
interface PreparedUpload {
  bytes: Buffer;
  contentType: string;
}

function multipart(fields: Record<string, string>, file: Buffer): PreparedUpload {
  const boundary = `bench${randomBytes(8).toString("hex")}`;
  const parts = Object.entries(fields).map(
    ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
  );
  const head = `${parts.join("")}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="item.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    bytes: Buffer.concat([Buffer.from(head), file, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function prepare(
  client: AidProofClient,
  signer: Wallet,
  claimId: bigint,
  count: number,
): Promise<PreparedUpload[]> {
  const info = await client.consortium();
  const domain = evidenceDomain(BigInt(info.chainId), info.contracts.evidenceRegistry);
  const deadline = BigInt(Math.floor(Date.now() / 1000) + 3600);
  const uploads: PreparedUpload[] = [];
  for (let i = 0; i < count; ++i) {
    const bytes = randomBytes(ITEM_BYTES);
    const contentHash = `0x${createHash("sha256").update(bytes).digest("hex")}`;
    const message = { claimId, contentHash, kind: 0, nonce: BigInt(i), deadline };
    const signature = await signer.signTypedData(domain, EVIDENCE_TYPES, message);
    uploads.push(
      multipart({ kind: "public", contentHash, nonce: String(i), deadline: String(deadline), signature }, bytes),
    );
  }
  return uploads;
}

async function runScenario(s: Scenario): Promise<Figures> {
  const dataDir = await mkdtemp(join(tmpdir(), "aidproof-bench-ingest-"));
  const port = await freePort();
  const chainPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startStackProcess({
    AIDPROOF_DATA_DIR: dataDir,
    AIDPROOF_PORT: String(port),
    AIDPROOF_CHAIN_PORT: String(chainPort),
    AIDPROOF_BLOCK_TIME_SECONDS: "1",
    AIDPROOF_BATCH_MAX_ITEMS: String(s.maxItems),
    AIDPROOF_BATCH_INTERVAL_MS: String(s.intervalMs),
    AIDPROOF_BATCHES_IN_FLIGHT: String(s.inFlight),
    AIDPROOF_VALIDATORS: "false",
    AIDPROOF_RATE_LIMIT_PER_MINUTE: "100000000",
    AIDPROOF_LOG_LEVEL: "warn",
  });
  let sampler: NodeJS.Timeout | undefined;
  try {
    const claimant = Wallet.createRandom() as unknown as Wallet;
    const descriptor = parseDescriptor(JSON.parse(readFileSync(join(dataDir, "consortium.json"), "utf8")));
    const client = new AidProofClient(url, claimant, { rpcUrl: `http://127.0.0.1:${chainPort}`, descriptor });
    const { claimId } = await client.createClaim({ planId: 1n, amount: 1000n, metadataCid: "bafkreibench" });
    process.stderr.write(`${s.name}: signing ${s.items} uploads...\n`);
    const uploads = await prepare(client, claimant, BigInt(claimId), s.items);

    let peakRss = rssMb(child.pid!);
    sampler = setInterval(() => {
      if (child.exitCode === null) peakRss = Math.max(peakRss, rssMb(child.pid!));
    }, 200);
    const acceptedAt = new Array<number>(s.items);
    const receipts = new Array<string>(s.items);
    let next = 0;
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    process.stderr.write(`${s.name}: uploading with ${CLIENTS} clients...\n`);
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < s.items; i = next++) {
          const res = await send(agent, `${url}/claims/${claimId}/evidence`, "POST", uploads[i]);
          const body = JSON.parse(res.body) as { receiptId?: string; error?: { code: string } };
          if (res.status !== 202) throw new Error(`upload ${i}: HTTP ${res.status} ${body.error?.code}`);
          acceptedAt[i] = Date.now();
          receipts[i] = body.receiptId!;
        }
      }),
    );
    const acceptedDone = Date.now();
    const clientCpu = process.cpuUsage(cpuBefore);
    agent.destroy();

    // Anchoring: batches report when this gateway saw their anchor mined.
    const anchoredAtByRoot = new Map<string, number>();
    for (;;) {
      let anchoredItems = 0;
      for (let offset = 0; ; offset += 100) {
        const page = (await (await fetch(`${url}/batches?limit=100&offset=${offset}`)).json()) as {
          batches: { root: string; leafCount: number; anchoredAt: string | null }[];
        };
        for (const b of page.batches) {
          if (b.anchoredAt) {
            anchoredItems += b.leafCount;
            anchoredAtByRoot.set(b.root, Date.parse(b.anchoredAt));
          }
        }
        if (page.batches.length < 100) break;
      }
      if (anchoredItems >= s.items) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    clearInterval(sampler);
    const lastAnchor = Math.max(...anchoredAtByRoot.values());

    const latencies: number[] = [];
    let cursor = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = cursor++; i < s.items; i = cursor++) {
          const r = (await (await fetch(`${url}/receipts/${receipts[i]}`)).json()) as { batchRoot: string };
          latencies.push((anchoredAtByRoot.get(r.batchRoot)! - acceptedAt[i]) / 1000);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return {
      clientCores: (clientCpu.user + clientCpu.system) / 1000 / (acceptedDone - started),
      itemsPerSecond: s.items / ((lastAnchor - started) / 1000),
      acceptedPerSecond: s.items / ((acceptedDone - started) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      peakRssMb: peakRss,
    };
  } finally {
    clearInterval(sampler);
    await stopStackProcess(child);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const batched = await runScenario({ name: "batched", items: ITEMS, maxItems: 1000, intervalMs: 1000, inFlight: 4 });
  const single = await runScenario({
    name: "one tx per item",
    items: BASELINE_ITEMS,
    maxItems: 1,
    intervalMs: 1000,
    inFlight: 32,
  });
  const row = (name: string, f: Figures, items: number) =>
    console.log(
      `${name.padEnd(34)}${String(items).padStart(7)}${f.acceptedPerSecond.toFixed(0).padStart(12)}${f.itemsPerSecond.toFixed(0).padStart(12)}${f.p50.toFixed(2).padStart(9)}${f.p99.toFixed(2).padStart(9)}${f.peakRssMb.toFixed(0).padStart(10)}`,
    );
  console.log(`\nIngest end to end, 10 KB items, ${CLIENTS} concurrent clients, 1 s blocks (anvil), one run\n`);
  console.log(
    `${"path".padEnd(34)}${"items".padStart(7)}${"accepted/s".padStart(12)}${"anchored/s".padStart(12)}${"p50 s".padStart(9)}${"p99 s".padStart(9)}${"RSS MB".padStart(10)}`,
  );
  row("batched (1,000 items or 1 s)", batched, ITEMS);
  row("one transaction per item", single, BASELINE_ITEMS);
  console.log(
    `\nanchored items/s, batched / one-tx-per-item = ${(batched.itemsPerSecond / single.itemsPerSecond).toFixed(1)}x (target >= 5x)`,
  );
  console.log(
    `batched: ${batched.itemsPerSecond.toFixed(0)} items/s (target >= 1,000); p99 upload-to-anchored ${batched.p99.toFixed(2)} s (target < 3 s); peak API RSS ${batched.peakRssMb.toFixed(0)} MB (target < 400 MB)`,
  );
  console.log(
    `(load generator used ${batched.clientCores.toFixed(2)} of a core; validators off: attestation is not part of upload-to-anchored)`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  if (stackOutputTail()) console.error(`stack output (tail):\n${stackOutputTail()}`);
  process.exitCode = 1;
});

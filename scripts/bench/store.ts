/**
 * Evidence store throughput on this machine, beside the raw rate of fs.writeFile of the same bytes
 * in the same run: put and verified get of a 50 MB file, 10 KB files per second, for the embedded
 * and the Kubo backend, and encrypt + put.   npm run bench:store
 *   (SIZE_MB=50 SMALL_FILES=10000 REPEATS=3 to change; SIZE_MB=2 SMALL_FILES=50 REPEATS=1 is a quick run)
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PrivateKey } from "eciesjs";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { encryptEnvelope } from "../../api/src/crypto/envelope";
import { startJsIpfs } from "../support/jsIpfsDaemon";

const MB = 1_000_000;
const SIZE_MB = Number(process.env.SIZE_MB ?? 50);
const LARGE = SIZE_MB * MB;
const SMALL = Number(process.env.SMALL_FILES ?? 10_000);
const REPEATS = Number(process.env.REPEATS ?? 3);
const CONCURRENCY = 16;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return seconds(start);
}

/** Runs `count` tasks with `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

async function rawDisk(dir: string, large: Buffer, smalls: Buffer[]) {
  await mkdir(dir, { recursive: true });
  const rates: number[] = [];
  for (let i = 0; i < REPEATS; ++i)
    rates.push(LARGE / MB / (await timed(() => writeFile(join(dir, `large-${i}`), large))));
  const smallSeconds = await timed(() =>
    pool(smalls.length, CONCURRENCY, (i) => writeFile(join(dir, `small-${i}`), smalls[i])),
  );
  return { largeMBs: median(rates), smallFilesPerSecond: smalls.length / smallSeconds };
}

async function storeFigures(store: EvidenceStore, large: Buffer, smalls: Buffer[]) {
  const put: number[] = [];
  const get: number[] = [];
  for (let i = 0; i < REPEATS; ++i) {
    const bytes = Buffer.from(large);
    bytes.writeUInt32BE(i); // a new CID each time: nothing is deduplicated
    let cid = "";
    put.push(LARGE / MB / (await timed(async () => ({ cid } = await store.put(bytes)))));
    get.push(
      LARGE /
        MB /
        (await timed(async () => {
          for await (const chunk of store.get(cid)) void chunk;
        })),
    );
  }
  const smallSeconds = await timed(() => pool(smalls.length, CONCURRENCY, (i) => store.put(smalls[i])));
  return { putMBs: median(put), getMBs: median(get), smallFilesPerSecond: smalls.length / smallSeconds };
}

async function encryptPut(store: EvidenceStore, large: Buffer): Promise<number> {
  const recipients = [1, 2, 3].map(() => new PrivateKey().publicKey.toBytes(true));
  const rates: number[] = [];
  for (let i = 0; i < REPEATS; ++i) {
    const chunks = function* () {
      for (let offset = 0; offset < large.length; offset += 1 << 20) yield large.subarray(offset, offset + (1 << 20));
    };
    rates.push(LARGE / MB / (await timed(() => store.put(encryptEnvelope(chunks(), recipients)))));
  }
  return median(rates);
}

const f = (n: number) => n.toLocaleString("en-US", { maximumFractionDigits: 0 });
const r = (n: number) => n.toFixed(2);

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "aidproof-bench-store-"));
  const large = randomBytes(LARGE);
  const smalls = Array.from({ length: SMALL }, () => randomBytes(10_000));
  const kuboSmalls = smalls.slice(0, Math.min(2_000, SMALL)).map((b) => Buffer.concat([b, Buffer.from("kubo")]));
  const daemon = await startJsIpfs();
  try {
    const disk = await rawDisk(join(work, "raw"), large, smalls);
    const maxBytes = 2 * LARGE + MB;
    const embedded = await openEvidenceStore({ backend: "embedded", dataDir: join(work, "embedded"), maxBytes });
    const emb = await storeFigures(embedded, large, smalls);
    const enc = await encryptPut(embedded, large);
    await embedded.close();
    const kubo = await openEvidenceStore({
      backend: "kubo",
      kuboUrl: daemon.rpcUrl,
      dataDir: join(work, "kubo"),
      maxBytes,
    });
    const kub = await storeFigures(kubo, large, kuboSmalls);
    await kubo.close();

    console.log(
      `\nEvidence store, this machine (median of ${REPEATS} for ${SIZE_MB} MB; ${CONCURRENCY} puts in flight for small files)\n`,
    );
    console.log("figure                              MB/s or files/s   ratio to raw disk   target");
    const row = (name: string, value: number, base: number, target: string) =>
      console.log(`${name.padEnd(36)}${f(value).padStart(15)}${r(value / base).padStart(20)}   ${target}`);
    row(`raw fs.writeFile ${SIZE_MB} MB (MB/s)`, disk.largeMBs, disk.largeMBs, "");
    row("raw fs.writeFile 10 KB (files/s)", disk.smallFilesPerSecond, disk.smallFilesPerSecond, "");
    row(`embedded put ${SIZE_MB} MB (MB/s)`, emb.putMBs, disk.largeMBs, ">= 120 MB/s");
    row(`embedded verified get ${SIZE_MB} MB (MB/s)`, emb.getMBs, disk.largeMBs, ">= 100 MB/s");
    row("embedded put 10 KB (files/s)", emb.smallFilesPerSecond, disk.smallFilesPerSecond, ">= 1,500 files/s");
    row(`embedded encrypt + put ${SIZE_MB} MB (MB/s)`, enc, disk.largeMBs, "");
    row(`kubo put ${SIZE_MB} MB (MB/s)`, kub.putMBs, disk.largeMBs, "");
    row(`kubo verified get ${SIZE_MB} MB (MB/s)`, kub.getMBs, disk.largeMBs, "");
    row(`kubo put 10 KB (files/s, ${kuboSmalls.length})`, kub.smallFilesPerSecond, disk.smallFilesPerSecond, "");
    console.log("\n(kubo = kubo-rpc-client against js-ipfs 0.66 offline, the only Kubo-RPC daemon that runs here)");
  } finally {
    await daemon.stop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

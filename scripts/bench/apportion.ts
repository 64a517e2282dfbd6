/**
 * `npm run bench:apportion`: one period of MEMBERS members (default 10,000,000) on this machine:
 * build the eligible set (pseudonymous member hashes, written as the manifest's chunks), apportion
 * the bill, build the charge tree and write everything; then serve member proofs and recount the
 * period from its manifest as a validator would. Beside it, the raw rate of hashing the same number
 * of leaves with the same hasher, and the projection for 100,000,000 members.
 * Quick: MEMBERS=200000 PROOFS=200.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { BulkKeccak } from "../../api/src/charges/hasher";
import { amountOf, uintBytes } from "../../api/src/charges/apportion";
import { CHARGE_LEAF_ENCODING, ChargeLeafHasher } from "../../api/src/charges/chargeTree";
import { MemberReader, buildPeriodCharges, recountCharges } from "../../api/src/charges/periodCharges";

const MEMBERS = Number(process.env.MEMBERS ?? 10_000_000);
const PROOFS = Number(process.env.PROOFS ?? 1_000);
const PERIOD = 42n;
/** A period's bill: 3 claims of 300,000 yuan in fen plus an 8% fee, over the members. */
const TOTAL = 3n * 300_000n * 100n + (3n * 300_000n * 100n * 8n) / 100n;
const ARRIVAL = 1 << 16;

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
/** The process's peak resident set so far (the kernel's high-water mark). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const preimage = new Uint8Array(64);
preimage.set(uintBytes(0xa1d0n), 0); // the salt

/**
 * Member `id`'s hash: a salted hash of the id, whose first four bytes are then the id's, so the
 * generated set arrives in the eligible set's ascending order (as a sorted membership index yields it).
 */
function memberHashInto(keccak: BulkKeccak, id: number, out: Uint8Array, offset: number): void {
  const be = [(id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255];
  preimage.set(be, 60);
  keccak.hashInto(preimage, out, offset);
  out.set(be, offset);
}

/** The eligible set: salted member-id hashes, ascending, in arrival batches. */
function* eligibleMembers(keccak: BulkKeccak): Generator<Uint8Array> {
  for (let start = 0; start < MEMBERS; start += ARRIVAL) {
    const n = Math.min(ARRIVAL, MEMBERS - start);
    const out = new Uint8Array(32 * n);
    for (let i = 0; i < n; i++) memberHashInto(keccak, start + i, out, 32 * i);
    yield out;
  }
}

async function main(): Promise<void> {
  const keccak = await BulkKeccak.create();
  const dir = await mkdtemp(join(tmpdir(), "aidproof-apportion-"));
  try {
    // Baseline: hashing MEMBERS charge leaves, nothing else.
    let t = process.hrtime.bigint();
    const leafHasher = new ChargeLeafHasher(keccak, PERIOD);
    const leaf = new Uint8Array(32);
    const member = new Uint8Array(32);
    for (let i = 0; i < MEMBERS; i++) {
      member[0] = i & 255;
      member[1] = (i >> 8) & 255;
      member[2] = (i >> 16) & 255;
      leafHasher.hashInto(member, 9n, leaf, 0);
    }
    const rawSeconds = seconds(t);

    t = process.hrtime.bigint();
    const built = await buildPeriodCharges(keccak, { period: PERIOD, total: TOTAL }, eligibleMembers(keccak), dir, {
      expectedMembers: MEMBERS,
    });
    const buildSeconds = seconds(t);
    const buildPeak = peakRss();

    // Proofs as the API serves them: the member found by binary search in the chunks, its proof
    // read from the tree files; verified with OpenZeppelin.
    const tree = built.tree!;
    const reader = new MemberReader(dir, built.manifest.chunks);
    const lookedUp = new Uint8Array(32);
    const times: number[] = [];
    let found = true;
    for (let k = 0; k < PROOFS; k++) {
      const i = Math.floor((k * 7_919) % MEMBERS);
      memberHashInto(keccak, i, lookedUp, 0);
      const start = process.hrtime.bigint();
      found &&= reader.indexOf(lookedUp) === i;
      tree.proof(i);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    reader.close();
    const member0 = new Uint8Array(32);
    memberHashInto(keccak, 0, member0, 0);
    const proof0 = tree.proof(0);
    const verified =
      StandardMerkleTree.verify(
        built.manifest.root,
        [...CHARGE_LEAF_ENCODING],
        [PERIOD, `0x${Buffer.from(member0).toString("hex")}`, amountOf(built.apportionment, 0)],
        proof0,
      ) && found;
    tree.close();
    times.sort((a, b) => a - b);

    t = process.hrtime.bigint();
    const recount = recountCharges(keccak, dir);
    const recountSeconds = seconds(t);
    const recountPeak = peakRss();

    let manifestBytes = 0;
    for (const c of built.manifest.chunks) manifestBytes += (await stat(join(dir, c.file))).size;
    const treeBytes = 64 * MEMBERS;
    const scale = 100_000_000 / MEMBERS;
    const mb = (b: number) => `${fmt(b / 2 ** 20, 0)} MB`;

    console.log(`\nOne period of ${fmt(MEMBERS, 0)} members (bill ${TOTAL} fen, same run, this machine)\n`);
    console.log(
      `raw: hash ${fmt(MEMBERS, 0)} charge leaves           ${fmt(rawSeconds, 2)} s  (${fmt(MEMBERS / rawSeconds / 1e6, 2)} M leaves/s)`,
    );
    console.log(
      `build: eligible set + apportion + tree + manifest  ${fmt(buildSeconds, 2)} s  = ${fmt(buildSeconds / rawSeconds, 2)}x raw (target < 60 s)`,
    );
    console.log(`  peak RSS while building                        ${mb(buildPeak)} (target < 2 GB)`);
    console.log(
      `  shares: ${built.apportionment.base} or ${built.apportionment.base + 1n} fen; sum ${built.manifest.charged} = bill ${TOTAL}: ${built.manifest.charged === TOTAL.toString()}`,
    );
    console.log(
      `proof (lookup by member hash + proof): p50 ${fmt(times[Math.floor(times.length / 2)], 3)} ms, p99 ${fmt(times[Math.floor(times.length * 0.99)], 3)} ms over ${PROOFS} (target < 10 ms); OpenZeppelin verifies: ${verified}`,
    );
    console.log(
      `recount by a validator (from the manifest)        ${fmt(recountSeconds, 2)} s  = ${fmt(recountSeconds / rawSeconds, 2)}x raw (target < 60 s); ${recount.ok ? "root, count and sum match" : recount.problems.join("; ")}`,
    );
    console.log(`  peak RSS after recounting too                  ${mb(recountPeak)}`);
    console.log(`manifest: ${built.manifest.chunks.length} chunks, ${mb(manifestBytes)}; tree files ${mb(treeBytes)}`);
    console.log(
      `projection for 100,000,000 members (linear): build ${fmt(buildSeconds * scale, 0)} s, recount ${fmt(recountSeconds * scale, 0)} s, ` +
        `memory ~${mb(9 * 100_000_000 + 200 * 2 ** 20)} (9 bytes per member: tie key and mark; + the process), manifest ${mb(manifestBytes * scale)}, tree files ${mb(treeBytes * scale)}`,
    );
    if (!recount.ok || !verified) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:apportion failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

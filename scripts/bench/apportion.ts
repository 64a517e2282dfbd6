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
import { deriveEligibleSet } from "../../api/src/charges/membership";
import { amountOf, uintBytes } from "../../api/src/charges/apportion";
import { CHARGE_LEAF_ENCODING, ChargeLeafHasher } from "../../api/src/charges/chargeTree";
import { MemberReader, buildPeriodCharges, recountCharges } from "../../api/src/charges/periodCharges";

const MEMBERS = Number(process.env.MEMBERS ?? 10_000_000);
const PROOFS = Number(process.env.PROOFS ?? 1_000);
const PERIOD = 42n;
/** A period's bill: 3 claims of 300,000 yuan in fen plus an 8% fee, over the members. */
const TOTAL = 3n * 300_000n * 100n + (3n * 300_000n * 100n * 8n) / 100n;

const fmt = (n: number, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits });
/** The process's peak resident set so far (the kernel's high-water mark). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

const preimage = new Uint8Array(64);
preimage.set(uintBytes(0xa1d0n), 0); // the salt
/** Membership changes per batch, as the gateway records them. */
const BATCH_CHANGES = 100_000;
/** One member in a hundred leaves, and as many others join, before the period closes. */
const CHURN = Math.floor(MEMBERS / 100);
const CLOSES_AT = 10_000;

/** Member `id`'s hash: a salted hash of the platform's member id. */
function memberHashInto(keccak: BulkKeccak, id: number, out: Uint8Array, offset: number): void {
  preimage.set([(id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255], 60);
  keccak.hashInto(preimage, out, offset);
}

/**
 * The membership batches the chain holds at the close: MEMBERS joins, then CHURN of them leave and
 * CHURN others join, so MEMBERS are eligible; and one batch recorded after the close (ignored).
 */
function membershipBatches(keccak: BulkKeccak): { recordedAt: number; records: Uint8Array }[] {
  const total = MEMBERS + 2 * CHURN;
  /** Change `n`: the joins, then pairs of (a leave of member k, a join of member MEMBERS + k). */
  const change = (n: number) =>
    n < MEMBERS
      ? { kind: 1, id: n }
      : (n - MEMBERS) % 2 === 0
        ? { kind: 2, id: (n - MEMBERS) / 2 }
        : { kind: 1, id: MEMBERS + (n - MEMBERS - 1) / 2 };
  const batches = [];
  for (let start = 0; start < total; start += BATCH_CHANGES) {
    const records = new Uint8Array(33 * Math.min(BATCH_CHANGES, total - start));
    for (let i = 0; 33 * i < records.length; i++) {
      const { kind, id } = change(start + i);
      records[33 * i] = kind;
      memberHashInto(keccak, id, records, 33 * i + 1);
    }
    batches.push({ recordedAt: 1_000 + batches.length, records });
  }
  const late = new Uint8Array(33);
  late[0] = 1;
  memberHashInto(keccak, MEMBERS + CHURN, late, 1);
  return [...batches, { recordedAt: CLOSES_AT, records: late }]; // recorded at the close: after it
}

async function main(): Promise<void> {
  const keccak = await BulkKeccak.create();
  const startRss = peakRss(); // the process before any member: not scaled in the projection
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

    const batches = membershipBatches(keccak);
    t = process.hrtime.bigint();
    const eligible = deriveEligibleSet(batches, CLOSES_AT, 0);
    const built = await buildPeriodCharges(keccak, { period: PERIOD, total: TOTAL }, eligible, dir, {
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
      lookedUp.set(reader.member(i));
      const start = process.hrtime.bigint();
      found &&= reader.indexOf(lookedUp) === i;
      tree.proof(i);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const member0 = reader.member(0);
    reader.close();
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
      `build: eligible set (from ${fmt(MEMBERS + 2 * CHURN + 1, 0)} membership records in ${fmt(batches.length, 0)} batches) + apportion + tree + manifest  ${fmt(buildSeconds, 2)} s  = ${fmt(buildSeconds / rawSeconds, 2)}x raw (target < 60 s)`,
    );
    console.log(`  peak RSS while building                        ${mb(buildPeak)} (target < 2 GB)`);
    console.log(
      `  eligible ${fmt(built.manifest.memberCount, 0)} (expected ${fmt(MEMBERS, 0)}); shares: ${built.apportionment.base} or ${built.apportionment.base + 1n} fen; sum ${built.manifest.charged} = bill ${TOTAL}: ${built.manifest.charged === TOTAL.toString()}`,
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
        `peak memory ~${mb(startRss + (buildPeak - startRss) * scale)} (this run's peak above the bare process, scaled: the membership records, 33 bytes each, + 8 bytes of sort key per record, + 9 bytes per member), manifest ${mb(manifestBytes * scale)}, tree files ${mb(treeBytes * scale)}`,
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

import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { BulkKeccak } from "../../api/src/charges/hasher";
import { amountOf } from "../../api/src/charges/apportion";
import { CHARGE_LEAF_ENCODING } from "../../api/src/charges/chargeTree";
import {
  EMPTY_ROOT,
  buildPeriodCharges,
  recountCharges,
  type ChargeManifest,
} from "../../api/src/charges/periodCharges";

const PERIOD = 7n;
const CHUNK = 1_000;

describe("periodCharges", () => {
  let keccak: BulkKeccak;
  let dir: string;
  before(async () => {
    keccak = await BulkKeccak.create();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "aidproof-charges-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Builds a period of `n` random members in chunks of CHUNK; returns the build and the hashes. */
  async function build(n: number, total = 1_000_003n) {
    const hashes = sortedHashes(n);
    const batches = [hashes.subarray(0, 32 * 700), hashes.subarray(32 * 700)]; // arrivals cross chunk ends
    const built = await buildPeriodCharges(keccak, { period: PERIOD, total }, batches, dir, { chunkMembers: CHUNK });
    return { built, hashes };
  }

  async function manifest(): Promise<ChargeManifest> {
    return JSON.parse(await readFile(join(dir, "manifest.json"), "utf8")) as ChargeManifest;
  }

  describe("buildPeriodCharges", () => {
    it("gives proofs that @openzeppelin/merkle-tree verifies alone, for every member", async () => {
      const { built, hashes } = await build(2_345);
      expect(built.manifest.chunks.map((c) => c.members)).to.deep.equal([1_000, 1_000, 345]);
      for (const i of [0, 1, 999, 1_000, 2_343, 2_344]) {
        const leaf = [
          PERIOD,
          `0x${hashes.subarray(32 * i, 32 * i + 32).toString("hex")}`,
          amountOf(built.apportionment, i),
        ];
        const proof = built.tree!.proof(i);
        expect(StandardMerkleTree.verify(built.manifest.root, [...CHARGE_LEAF_ENCODING], leaf, proof)).to.equal(true);
        const more = [leaf[0], leaf[1], (leaf[2] as bigint) + 1n];
        expect(StandardMerkleTree.verify(built.manifest.root, [...CHARGE_LEAF_ENCODING], more, proof)).to.equal(false);
      }
      built.tree!.close();
    });

    it("has the root StandardMerkleTree gives the same leaves in a full tree", async () => {
      const { built, hashes } = await build(1_024);
      const values = Array.from({ length: 1_024 }, (_, i) => [
        PERIOD,
        `0x${hashes.subarray(32 * i, 32 * i + 32).toString("hex")}`,
        amountOf(built.apportionment, i),
      ]);
      expect(StandardMerkleTree.of(values, [...CHARGE_LEAF_ENCODING], { sortLeaves: false }).root).to.equal(
        built.manifest.root,
      );
      built.tree!.close();
    });

    it("refuses members out of the ascending order, and builds a period without members", async () => {
      const [a, b] = [sortedHashes(1), sortedHashes(1)].sort(Buffer.compare);
      let error: unknown;
      await buildPeriodCharges(keccak, { period: PERIOD, total: 5n }, [b, a], dir).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/strictly ascending/);
      const empty = await buildPeriodCharges(keccak, { period: PERIOD, total: 5n }, [], dir);
      expect([empty.tree, empty.manifest.root, empty.apportionment.carry]).to.deep.equal([undefined, EMPTY_ROOT, 5n]);
      expect(recountCharges(keccak, dir).ok).to.equal(true);
    });
  });

  describe("recountCharges", () => {
    it("recounts root, count and sum from the manifest", async () => {
      const { built } = await build(2_345);
      built.tree!.close();
      const recount = recountCharges(keccak, dir);
      expect([recount.ok, recount.root, recount.memberCount, recount.charged]).to.deep.equal([
        true,
        built.manifest.root,
        2_345,
        1_000_003n,
      ]);
    });

    it("fails a tampered member, a missing one, a duplicate, one out of order and a wrong total", async () => {
      const { built } = await build(2_345);
      built.tree!.close();
      const chunk = join(dir, built.manifest.chunks[1].file);
      const original = await readFile(chunk);
      const tampered = Buffer.from(original);
      tampered[40] ^= 1;
      await writeFile(chunk, tampered);
      expect(recountCharges(keccak, dir).problems.join("; ")).to.match(/chunk .* is not the one listed.*root/);

      // A member dropped, the listing adjusted to match: the count and the root give it away.
      await writeFile(chunk, original.subarray(32));
      const m = await manifest();
      const dropped = {
        ...m,
        chunks: m.chunks.map((c, i) =>
          i === 1 ? { ...c, members: c.members - 1, sha256: sha(original.subarray(32)) } : c,
        ),
      };
      await writeFile(join(dir, "manifest.json"), JSON.stringify(dropped));
      expect(recountCharges(keccak, dir).problems.join("; ")).to.match(/2344 members in the chunks, 2345 stated.*root/);

      // A member listed twice in place of another.
      const twice = Buffer.from(original);
      original.copy(twice, 32, 0, 32);
      await writeFile(chunk, twice);
      await writeFile(
        join(dir, "manifest.json"),
        JSON.stringify({ ...m, chunks: m.chunks.map((c, i) => (i === 1 ? { ...c, sha256: sha(twice) } : c)) }),
      );
      expect(recountCharges(keccak, dir).problems.join("; ")).to.match(/is listed twice/);

      // Two members swapped: the order is the eligible set's, so it is refused.
      const swapped = Buffer.from(original);
      original.copy(swapped, 0, 32, 64);
      original.copy(swapped, 32, 0, 32);
      await writeFile(chunk, swapped);
      await writeFile(
        join(dir, "manifest.json"),
        JSON.stringify({ ...m, chunks: m.chunks.map((c, i) => (i === 1 ? { ...c, sha256: sha(swapped) } : c)) }),
      );
      expect(recountCharges(keccak, dir).problems.join("; ")).to.match(/out of ascending order/);

      await writeFile(chunk, original);
      await writeFile(join(dir, "manifest.json"), JSON.stringify({ ...m, total: "1000004" }));
      expect(recountCharges(keccak, dir).problems.join("; ")).to.match(/do not sum to what is stated.*root/);
    });
  });
});

/** `n` random member hashes in the eligible set's ascending order. */
function sortedHashes(n: number): Buffer {
  const hashes = Array.from({ length: n }, () => randomBytes(32));
  return Buffer.concat(hashes.sort(Buffer.compare));
}

function sha(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

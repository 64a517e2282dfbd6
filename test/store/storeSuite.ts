import { expect } from "chai";
import { readdir } from "node:fs/promises";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { ContentNotFoundError, ContentTooLargeError, InvalidCidError } from "../../api/src/store/errors";
import { ipfsModules } from "../../api/src/store/ipfsModules";
import { collect, deterministicBytes, sha256Hex } from "../support/bytes";
import { rejects } from "../support/assertions";

export interface StoreHarness {
  store: EvidenceStore;
  stagingDir: string;
}

const MiB = 1024 * 1024;
const UNKNOWN = "bafkreiabzi6xz6z7mjo7tdmfqzm3mg6ebdsrblgv6qwhgqbqd2hqmq6jqi";

async function stagedEntries(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** The behaviour every backend must have; run once per backend. */
export function storeSuite(open: () => Promise<StoreHarness>): void {
  let h: StoreHarness;
  // Per test: a test of the backend itself may have reopened the store.
  beforeEach(async () => {
    h = await open();
  });

  describe("put / get", () => {
    for (const size of [0, 1, 10_000, MiB, MiB + 1, 3 * MiB + 17]) {
      it(`round-trips ${size} bytes with their SHA-256 and size`, async () => {
        const data = deterministicBytes(size, `roundtrip-${size}`);
        const result = await h.store.put(data);
        expect(result.size).to.equal(size);
        expect(result.sha256).to.equal(sha256Hex(data));
        expect((await collect(h.store.get(result.cid))).equals(data)).to.equal(true);
        expect(await h.store.has(result.cid)).to.equal(true);
        expect(await h.store.isPinned(result.cid)).to.equal(true);
      });
    }

    it("accepts an async stream and gives the same CID as the same bytes at once", async () => {
      const data = deterministicBytes(2 * MiB + 5, "stream");
      async function* chunks() {
        for (let i = 0; i < data.length; i += 65_537) yield data.subarray(i, i + 65_537);
      }
      const streamed = await h.store.put(chunks());
      const whole = await h.store.put(data);
      expect(streamed.cid).to.equal(whole.cid);
    });

    it("fails with ContentNotFoundError for an unknown CID and InvalidCidError for garbage", async () => {
      expect(await rejects(collect(h.store.get(UNKNOWN)))).to.be.instanceOf(ContentNotFoundError);
      expect(await rejects(collect(h.store.get("not-a-cid")))).to.be.instanceOf(InvalidCidError);
      expect(await h.store.has(UNKNOWN)).to.equal(false);
    });
  });

  describe("size limit", () => {
    it("rejects an over-limit upload while streaming and leaves no staged state", async () => {
      const error = await rejects(h.store.put(deterministicBytes(3 * MiB, "too-large"), { maxBytes: 2 * MiB }));
      expect(error).to.be.instanceOf(ContentTooLargeError);
      expect(await stagedEntries(h.stagingDir)).to.deep.equal([]);
    });

    it("stores none of the blocks of a rejected upload", async () => {
      const data = deterministicBytes(3 * MiB, "rejected-blocks");
      await rejects(h.store.put(data, { maxBytes: 2 * MiB + 1 }));
      const m = await ipfsModules();
      const firstChunk = m.cid.CID.createV1(m.raw.code, await m.sha2.sha256.digest(data.subarray(0, MiB)));
      expect(await h.store.backend.hasBlock(firstChunk)).to.equal(false);
    });
  });

  describe("pin / unpin", () => {
    it("pins and unpins a stored root; refuses to pin what is not stored", async () => {
      const { cid } = await h.store.put(deterministicBytes(100, "pins"));
      await h.store.unpin(cid);
      expect(await h.store.isPinned(cid)).to.equal(false);
      await h.store.pin(cid);
      expect(await h.store.isPinned(cid)).to.equal(true);
      expect(await rejects(h.store.pin(UNKNOWN))).to.be.instanceOf(ContentNotFoundError);
    });
  });

  describe("exportCar", () => {
    it("exports the whole DAG as a CAR whose blocks all verify and rebuild the file", async () => {
      const m = await ipfsModules();
      const data = deterministicBytes(2 * MiB + 3, "car");
      const { cid } = await h.store.put(data);
      const car = await collect(await h.store.exportCar(cid));
      const reader = await m.car.CarReader.fromBytes(car);
      expect((await reader.getRoots()).map(String)).to.deep.equal([cid]);
      const leaves: Uint8Array[] = [];
      let blocks = 0;
      for await (const block of reader.blocks()) {
        const digest = await m.sha2.sha256.digest(block.bytes);
        expect(Buffer.from(digest.digest).equals(Buffer.from(block.cid.multihash.digest))).to.equal(true);
        if (block.cid.code === m.raw.code) leaves.push(block.bytes);
        ++blocks;
      }
      expect(blocks).to.equal(4); // root + 3 leaves
      expect(Buffer.concat(leaves).equals(data)).to.equal(true);
    });

    it("fails with ContentNotFoundError before streaming an unknown root", async () => {
      expect(await rejects(h.store.exportCar(UNKNOWN))).to.be.instanceOf(ContentNotFoundError);
    });
  });

  describe("getBlock", () => {
    it("returns the block's bytes", async () => {
      const data = deterministicBytes(10, "block");
      const { cid } = await h.store.put(data);
      expect(Buffer.from(await h.store.getBlock(cid)).equals(data)).to.equal(true);
    });
  });
}

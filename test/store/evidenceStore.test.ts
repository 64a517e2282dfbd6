import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { BlockMismatchError } from "../../api/src/store/errors";
import { collect, deterministicBytes, randomStream } from "../support/bytes";
import { startJsIpfs, type JsIpfsDaemon } from "../../scripts/support/jsIpfsDaemon";
import { freePort } from "../../scripts/support/ports";
import { storeSuite } from "./storeSuite";
import { flipInFile, flipInRow } from "../support/corruption";

const MiB = 1024 * 1024;

async function expectMismatch(store: EvidenceStore, cid: string): Promise<BlockMismatchError> {
  try {
    await collect(store.get(cid));
  } catch (error) {
    expect(error).to.be.instanceOf(BlockMismatchError);
    return error as BlockMismatchError;
  }
  throw new Error("tampering went unnoticed");
}

describe("EvidenceStore", () => {
  describe("embedded backend (SQLite for small blocks and pins, files for large blocks)", () => {
    let dataDir: string;
    let store: EvidenceStore;
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "aidproof-store-"));
      store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 300 * MiB });
    });
    after(() => rm(dataDir, { recursive: true, force: true }));

    storeSuite(async () => ({ store, stagingDir: join(dataDir, "ipfs-staging") }));

    it("detects a block corrupted on disk while streaming, naming the block; an upload of the same content repairs it", async () => {
      const data = deterministicBytes(3 * MiB, "tamper-disk");
      const { cid } = await store.put(data);
      await flipInFile(dataDir, data.subarray(MiB, 2 * MiB));
      const error = await expectMismatch(store, cid);
      expect(error.details?.source).to.equal("the embedded store");

      expect((await store.put(data)).cid).to.equal(cid);
      expect((await collect(store.get(cid))).equals(data)).to.equal(true);
    });

    it("detects a small block corrupted in its database row, naming the store; an upload of the same content repairs it", async () => {
      const data = deterministicBytes(10_000, "tamper-row");
      const { cid } = await store.put(data);
      flipInRow(dataDir, data);
      const error = await expectMismatch(store, cid);
      expect(error.details?.source).to.equal("the embedded store");

      expect((await store.put(data)).cid).to.equal(cid);
      expect((await collect(store.get(cid))).equals(data)).to.equal(true);
    });

    it("has each acknowledged block and pin committed to its database file when put resolves", async () => {
      const items = Array.from({ length: 20 }, (_, i) => deterministicBytes(1000 + i, `committed-${i}`));
      const cids = (await Promise.all(items.map((b) => store.put(b)))).map((r) => r.cid);
      // Another connection sees only committed transactions.
      const db = new Database(join(dataDir, "ipfs", "store.sqlite"), { readonly: true });
      try {
        const pinned = db.prepare("SELECT 1 FROM pins WHERE cid = ?");
        const stored = db.prepare("SELECT 1 FROM small_blocks WHERE bytes = ?");
        for (const [i, cid] of cids.entries()) {
          expect(pinned.get(cid), `pin ${i}`).to.not.equal(undefined);
          expect(stored.get(items[i]), `block ${i}`).to.not.equal(undefined);
        }
      } finally {
        db.close();
      }
    });

    it("keeps content and pins across a restart", async () => {
      const data = deterministicBytes(MiB + 9, "restart");
      const { cid } = await store.put(data);
      await store.close();
      store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 300 * MiB });
      expect((await collect(store.get(cid))).equals(data)).to.equal(true);
      expect(await store.isPinned(cid)).to.equal(true);
    });

    it("streams a 200 MB file in and out with flat memory", async () => {
      let peak = 0;
      const base = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss - base)), 20);
      try {
        const { cid, size } = await store.put(randomStream(MiB, 200));
        let read = 0;
        for await (const chunk of store.get(cid)) read += chunk.length;
        expect(size).to.equal(200 * MiB);
        expect(read).to.equal(200 * MiB);
      } finally {
        clearInterval(sampler);
      }
      expect(peak, `resident memory grew by ${Math.round(peak / MiB)} MiB`).to.be.below(120 * MiB);
    });
  });

  describe("Kubo backend (kubo-rpc-client against a Kubo-RPC daemon)", function () {
    this.timeout(15 * 60_000); // the first run installs the test daemon
    let daemon: JsIpfsDaemon;
    let dataDir: string;
    let store: EvidenceStore;
    before(async () => {
      daemon = await startJsIpfs();
      dataDir = await mkdtemp(join(tmpdir(), "aidproof-kubo-"));
      store = await openEvidenceStore({
        backend: "kubo",
        kuboUrl: daemon.rpcUrl,
        dataDir,
        maxBytes: 300 * MiB,
        timeoutMs: 1_000,
      });
    });
    after(async () => {
      await daemon?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    storeSuite(async () => ({ store, stagingDir: join(dataDir, "ipfs-staging") }));

    it("detects a node that returns tampered blocks, naming the node", async () => {
      const data = deterministicBytes(2 * MiB, "tamper-transit");
      const { cid } = await store.put(data);
      const port = await freePort();
      const proxy: Server = createServer(async (req, res) => {
        const upstream = await fetch(new URL(req.url!, daemon.rpcUrl), { method: req.method });
        const body = Buffer.from(await upstream.arrayBuffer());
        if (req.url!.startsWith("/api/v0/block/get") && body.length > 1000) body[500] ^= 0xff;
        res.writeHead(upstream.status, {
          "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
        });
        res.end(body);
      });
      await new Promise<void>((listening) => proxy.listen(port, "127.0.0.1", listening));
      try {
        const proxyUrl = `http://127.0.0.1:${port}`;
        const lying = await openEvidenceStore({
          backend: "kubo",
          kuboUrl: proxyUrl,
          dataDir,
          maxBytes: MiB,
          timeoutMs: 1_000,
        });
        const error = await expectMismatch(lying, cid);
        expect(error.details?.source).to.equal(proxyUrl);
      } finally {
        proxy.close();
      }
    });
  });
});

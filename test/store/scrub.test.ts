import { expect } from "chai";
import express from "express";
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { FsBackend } from "../../api/src/store/fsBackend";
import { fetchBlock } from "../../api/src/store/gatewayClient";
import { scrub, type RepairSource } from "../../api/src/store/scrub";
import { KuboBackend } from "../../api/src/store/kuboBackend";
import { startJsIpfs } from "../../scripts/support/jsIpfsDaemon";
import { ipfsRouter } from "../../api/src/http/routes/ipfs";
import { blockFile, flipInFile, flipInRow } from "../support/corruption";
import { listen, type RunningServer } from "../support/httpServer";
import { collect, deterministicBytes } from "../support/bytes";

const MiB = 1024 * 1024;
const small = deterministicBytes(10_000, "scrub-small");
const large = deterministicBytes(3 * MiB + 5, "scrub-large");
const other = deterministicBytes(2 * MiB, "scrub-other");

async function storeWithContent(dataDir: string): Promise<{ store: EvidenceStore; cids: string[] }> {
  const store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 10 * MiB });
  const cids = [];
  for (const bytes of [small, large, other]) cids.push((await store.put(bytes)).cid);
  return { store, cids };
}

describe("scrub (store verify)", () => {
  let dataDir: string;
  let goodDir: string;
  let good: EvidenceStore;
  let gateway: RunningServer;
  let cids: string[];

  before(async () => {
    // A second store with the same content, served over the trustless gateway route.
    goodDir = await mkdtemp(join(tmpdir(), "aidproof-scrub-good-"));
    ({ store: good } = await storeWithContent(goodDir));
    const app = express();
    app.use(ipfsRouter(good));
    gateway = await listen(app);
  });
  after(async () => {
    await gateway.close();
    await good.close();
    await rm(goodDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aidproof-scrub-"));
    const opened = await storeWithContent(dataDir);
    cids = opened.cids;
    await opened.store.close();
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const scrubbed = async (sources: RepairSource[]) => {
    const backend = await FsBackend.open(join(dataDir, "ipfs"));
    try {
      return await scrub(backend, sources);
    } finally {
      await backend.close();
    }
  };
  const fromGateway: RepairSource[] = [];
  before(() => fromGateway.push({ name: "gateway", getBlock: (cid) => fetchBlock(gateway.url, cid) }));

  it("checks every block of every pinned DAG once and reports a clean store", async () => {
    const report = await scrubbed([]);
    // small: 1 block; large: 4 leaves + root; other: 2 leaves + root
    expect(report).to.deep.equal({ pins: 3, blocksChecked: 9, corrupt: [], missing: [], repaired: [], unrepaired: [] });
  });

  it("finds a flipped bit in a database row and in a block file, and a missing block file", async () => {
    flipInRow(dataDir, small);
    await flipInFile(dataDir, large.subarray(MiB, 2 * MiB));
    await unlink(await blockFile(dataDir, other.subarray(0, MiB)));
    const report = await scrubbed([]);
    expect(report.corrupt).to.have.length(2);
    expect(report.corrupt).to.include(cids[0]);
    expect(report.missing).to.have.length(1);
    expect(report.unrepaired).to.have.members([...report.corrupt, ...report.missing]);
    expect(report.repaired).to.deep.equal([]);
  });

  it("repairs from another store over the trustless gateway, after which the store is clean and reads back", async () => {
    flipInRow(dataDir, small);
    await flipInFile(dataDir, large.subarray(MiB, 2 * MiB));
    await unlink(await blockFile(dataDir, other.subarray(0, MiB)));
    const report = await scrubbed(fromGateway);
    expect(report.repaired).to.have.length(3);
    expect(report.unrepaired).to.deep.equal([]);

    expect((await scrubbed([])).repaired).to.deep.equal([]);
    expect((await scrubbed([])).corrupt).to.deep.equal([]);
    const store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 10 * MiB });
    try {
      for (const [i, bytes] of [small, large, other].entries())
        expect((await collect(store.get(cids[i]))).equals(bytes)).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it("repairs from a Kubo node over its RPC API", async function () {
    this.timeout(180_000);
    const daemon = await startJsIpfs();
    try {
      const kubo = new KuboBackend(daemon.rpcUrl);
      await kubo.putBlock(good.parseCid(cids[0]), await good.getBlock(cids[0]));
      flipInRow(dataDir, small);
      const report = await scrubbed([{ name: kubo.source, getBlock: (cid) => kubo.getBlock(cid) }]);
      expect(report.repaired).to.deep.equal([cids[0]]);
      expect(report.unrepaired).to.deep.equal([]);
    } finally {
      await daemon.stop();
    }
  });

  it("writes nothing a source sends that does not hash to the CID", async () => {
    flipInRow(dataDir, small);
    const liar: RepairSource = { name: "liar", getBlock: async () => Buffer.from("not the block") };
    const report = await scrubbed([liar]);
    expect(report.unrepaired).to.deep.equal([cids[0]]);
    expect((await scrubbed([])).corrupt).to.deep.equal([cids[0]]);
  });
});

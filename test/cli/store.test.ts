import { expect } from "chai";
import express from "express";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openEvidenceStore } from "../../api/src/store/openStore";
import type { EvidenceStore } from "../../api/src/store/evidenceStore";
import { ipfsRouter } from "../../api/src/http/routes/ipfs";
import { flipInFile, flipInRow } from "../support/corruption";
import { listen, type RunningServer } from "../support/httpServer";
import { deterministicBytes } from "../support/bytes";
import { cli } from "../support/processes";

const MiB = 1024 * 1024;
const small = deterministicBytes(10_000, "cli-scrub-small");
const large = deterministicBytes(2 * MiB + 1, "cli-scrub-large");

async function storeWith(dataDir: string): Promise<EvidenceStore> {
  const store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 10 * MiB });
  for (const bytes of [small, large]) await store.put(bytes);
  return store;
}

describe("aidproof store verify (spawned, on a stopped stack's data directory)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let goodDir: string;
  let good: EvidenceStore;
  let gateway: RunningServer;

  before(async () => {
    goodDir = await mkdtemp(join(tmpdir(), "aidproof-cli-good-"));
    good = await storeWith(goodDir);
    const app = express();
    app.use(ipfsRouter(good));
    gateway = await listen(app);
    dataDir = await mkdtemp(join(tmpdir(), "aidproof-cli-store-"));
    await (await storeWith(dataDir)).close();
  });
  after(async () => {
    await gateway.close();
    await good.close();
    await rm(goodDir, { recursive: true, force: true });
    await rm(dataDir, { recursive: true, force: true });
  });

  it("reports a clean store and exits 0", async () => {
    const { code, stdout, stderr } = await cli(["store", "verify", "--data-dir", dataDir]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.include("2 pinned DAGs, 5 blocks checked, 0 corrupt, 0 missing, 0 repaired");
    expect(stdout).to.include("CLEAN");
    expect(stderr).to.include("scrub: 5 blocks checked, 2/2 pinned DAGs"); // progress
  });

  it("finds corruption, exits 1, then repairs it from a trustless gateway and exits 0", async () => {
    flipInRow(dataDir, small);
    await flipInFile(dataDir, large.subarray(0, MiB));

    const found = await cli(["--json", "store", "verify"], { AIDPROOF_DATA_DIR: dataDir });
    expect(found.code, found.stderr).to.equal(1);
    const report = JSON.parse(found.stdout);
    expect(report).to.include({ ok: false, pins: 2, blocksChecked: 5 });
    expect(report.corrupt).to.have.length(2);
    expect(report.unrepaired).to.have.length(2);

    const repaired = await cli(["store", "verify", "--data-dir", dataDir, "--repair-from", gateway.url]);
    expect(repaired.code, repaired.stderr).to.equal(0);
    expect(repaired.stdout).to.include("2 corrupt, 0 missing, 2 repaired");
    expect(repaired.stdout).to.include("REPAIRED");

    const clean = await cli(["store", "verify", "--data-dir", dataDir]);
    expect(clean.code).to.equal(0);
    expect(clean.stdout).to.include("CLEAN");
  });

  it("refuses a data directory a running stack holds, and one without a store, with exit 2", async () => {
    // This test process is alive: its pid in the lock is a running holder.
    await writeFile(join(dataDir, "aidproof.lock"), JSON.stringify({ pid: process.pid, owner: "an AidProof stack" }));
    try {
      const held = await cli(["store", "verify", "--data-dir", dataDir]);
      expect(held.code).to.equal(2);
      expect(held.stderr).to.include(`data directory ${dataDir} is in use by an AidProof stack (pid ${process.pid})`);
    } finally {
      await rm(join(dataDir, "aidproof.lock"));
    }
    const empty = await cli(["store", "verify", "--data-dir", join(dataDir, "nothing-here")]);
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.include("no embedded store");
  });

  it("refuses a malformed repair URL with exit 2", async () => {
    const bad = await cli(["store", "verify", "--data-dir", dataDir, "--repair-from", "not a url"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--repair-from: not a URL");
  });
});

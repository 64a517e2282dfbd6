import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BulkKeccak } from "../../api/src/charges/hasher";
import { buildPeriodCharges } from "../../api/src/charges/periodCharges";
import { cli } from "../support/processes";

describe("aidproof charges recount (spawned)", function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "aidproof-charges-cli-"));
    const built = await buildPeriodCharges(
      await BulkKeccak.create(),
      { period: 3n, total: 98_765n },
      [Buffer.concat(Array.from({ length: 5_000 }, () => randomBytes(32)).sort(Buffer.compare))],
      dir,
      {
        chunkMembers: 2_048,
      },
    );
    built.tree!.close();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("recounts a period's manifest, with progress, and exits 0 on a match", async () => {
    const { code, stdout, stderr } = await cli(["charges", "recount", dir]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.match(/5,000 members, 98765 charged, root 0x[0-9a-f]{64}: MATCH/);
    expect(stderr).to.match(/100% \(5,000 of 5,000 members\)/);
  });

  it("exits 1 naming what does not match, and 2 without a manifest", async () => {
    const path = join(dir, "manifest.json");
    const manifest = JSON.parse(await readFile(path, "utf8")) as { total: string };
    await writeFile(path, JSON.stringify({ ...manifest, total: "98766" }));
    const wrong = await cli(["charges", "recount", dir]);
    expect(wrong.code).to.equal(1);
    expect(wrong.stdout).to.match(/NOT MATCHING/);
    expect((await cli(["charges", "recount", tmpdir()])).code).to.equal(2);
  });
});

import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checkpointer } from "../../api/src/db/checkpointer";

const MiB = 1024 * 1024;

/** A WAL database with 2 MiB written and not checkpointed. */
function walDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (v BLOB NOT NULL)");
  const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
  for (let i = 0; i < 32; ++i) insert.run(Buffer.alloc(64 * 1024, i));
  return db;
}

async function checkpointed(path: string): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while ((await stat(path)).size < 2 * MiB && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return (await stat(path)).size >= 2 * MiB;
}

describe("Checkpointer", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "aidproof-checkpoint-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe("start / stop", () => {
    it("copies committed WAL pages into the database file from its worker, and stops cleanly", async () => {
      const path = join(dir, "db.sqlite");
      const db = walDatabase(path);
      expect((await stat(path)).size).to.be.below(MiB); // all of it still in the WAL
      const errors: string[] = [];
      const checkpointer = Checkpointer.start(path, (message) => errors.push(message));
      expect(await checkpointed(path)).to.equal(true);
      await checkpointer.stop();
      expect(errors).to.deep.equal([]);
      expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).to.deep.equal({ n: 32 });
      db.close();
    });

    it("serves several databases, and starts again after all were stopped", async () => {
      const [a, b, c] = ["a", "b", "c"].map((name) => join(dir, `${name}.sqlite`));
      const dbs = [walDatabase(a), walDatabase(b)];
      const errors: string[] = [];
      const [first, second] = [a, b].map((path) => Checkpointer.start(path, (message) => errors.push(message)));
      expect([await checkpointed(a), await checkpointed(b)]).to.deep.equal([true, true]);
      await first.stop();
      await second.stop();
      dbs.push(walDatabase(c));
      const third = Checkpointer.start(c, (message) => errors.push(message));
      expect(await checkpointed(c)).to.equal(true);
      await third.stop();
      await third.stop(); // twice is harmless
      expect(errors).to.deep.equal([]);
      dbs.forEach((db) => db.close());
    });
  });
});

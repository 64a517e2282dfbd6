import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Checkpointer } from "../../api/src/db/checkpointer";

const MiB = 1024 * 1024;

describe("Checkpointer", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "aidproof-checkpoint-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe("start", () => {
    it("copies committed WAL pages into the database file from its worker, and stops cleanly", async () => {
      const path = join(dir, "db.sqlite");
      const db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("wal_autocheckpoint = 0");
      db.exec("CREATE TABLE t (v BLOB NOT NULL)");
      const insert = db.prepare("INSERT INTO t (v) VALUES (?)");
      for (let i = 0; i < 32; ++i) insert.run(Buffer.alloc(64 * 1024, i));
      expect((await stat(path)).size).to.be.below(MiB); // all of it still in the WAL
      const errors: string[] = [];
      const checkpointer = Checkpointer.start(path, (message) => errors.push(message), 20);
      const deadline = Date.now() + 5_000;
      while ((await stat(path)).size < 2 * MiB && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await checkpointer.stop();
      expect((await stat(path)).size).to.be.at.least(2 * MiB);
      expect(errors).to.deep.equal([]);
      expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).to.deep.equal({ n: 32 });
      db.close();
    });
  });
});

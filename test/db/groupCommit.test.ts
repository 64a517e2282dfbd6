import { expect } from "chai";
import Database from "better-sqlite3";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GroupCommit } from "../../api/src/db/groupCommit";

describe("GroupCommit", () => {
  let dir: string;
  let db: Database.Database;
  let group: GroupCommit;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "aidproof-group-"));
    db = new Database(join(dir, "db.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)");
    group = new GroupCommit(db);
  });
  afterEach(async () => {
    group.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const insert =
    (k: number, bytes = 8) =>
    () =>
      db.prepare("INSERT INTO t (k, v) VALUES (?, ?)").run(k, Buffer.alloc(bytes));
  const keys = () => db.prepare("SELECT k FROM t ORDER BY k").pluck().all();

  describe("run", () => {
    it("commits a turn's writes together; a write that throws rejects alone and leaves nothing", async () => {
      const outcomes = await Promise.allSettled([group.run(insert(1)), group.run(insert(1)), group.run(insert(2))]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).to.include("UNIQUE");
      expect(keys()).to.deep.equal([1, 2]);
    });

    it("rejects the whole group and commits none of it when an error aborts the transaction (disk full)", async () => {
      const pages = db.pragma("page_count", { simple: true }) as number;
      db.pragma(`max_page_count = ${pages + 2}`); // room for a small row, not for a 64 KB one
      const outcomes = await Promise.allSettled([
        group.run(insert(1)),
        group.run(insert(2, 64 * 1024)),
        group.run(insert(3)),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(["rejected", "rejected", "rejected"]);
      expect(keys()).to.deep.equal([]);
    });

    it("refuses writes after close", async () => {
      await group.run(insert(1));
      group.close();
      let refused: unknown;
      await group.run(insert(2)).catch((error: unknown) => (refused = error));
      expect(String(refused)).to.include("closed");
      expect(keys()).to.deep.equal([1]);
    });
  });

  describe("close", () => {
    it("commits and settles what is queued", async () => {
      const pending = group.run(insert(7));
      group.close();
      await pending;
      expect(keys()).to.deep.equal([7]);
    });
  });
});

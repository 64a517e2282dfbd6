import Database from "better-sqlite3";
import { Checkpointer } from "./checkpointer";
import { GroupCommit } from "./groupCommit";

const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** A SQLite file set up for the gateway's hot writes: see GroupCommit and Checkpointer. */
export interface DurableDatabase {
  db: Database.Database;
  /** Writes that are answered once on disk, one fsync per event-loop turn, off the event loop. */
  group: GroupCommit;
  /** Commits what is queued, stops checkpointing and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens `path` in WAL mode with synchronous=FULL, group commit, and WAL checkpoints on a worker
 * thread instead of in whichever write crosses the threshold; the WAL shrinks back after a burst.
 */
export function openDurableDatabase(path: string, schema: string): DurableDatabase {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("wal_autocheckpoint = 0");
  db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  db.exec(schema);
  const group = new GroupCommit(db);
  const checkpointer = Checkpointer.start(path, (message) =>
    process.emitWarning(`checkpoint of ${path} failed: ${message}`),
  );
  return {
    db,
    group,
    async close() {
      group.close();
      await checkpointer.stop();
      db.close();
    },
  };
}

import type Database from "better-sqlite3";
import { closeSync, fdatasync, fdatasyncSync, openSync } from "node:fs";

interface QueuedWrite {
  write: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  /** Set once the group's transaction has run. */
  outcome?: { failed: false; value: unknown } | { failed: true; error: unknown };
}

/**
 * Runs the writes issued during one event-loop turn in one SQLite transaction, and settles their
 * promises once that transaction is on disk. The database must be in WAL mode with
 * synchronous=FULL; its other writes keep that. For a group, the commit itself runs with
 * synchronous=NORMAL (WAL appended, not synced) and the WAL is then fdatasync'ed on libuv's thread
 * pool: the same durability as FULL for every acknowledged write, without an fsync blocking the
 * event loop per commit (which cost the gateway about 0.2 ms of its event loop per upload). A write
 * that throws is rolled back alone (a savepoint) and rejects alone.
 */
export class GroupCommit {
  private _queue: QueuedWrite[] = [];
  private _scheduled = false;
  private readonly _walFd: number;
  /** Groups committed but not yet known to be on disk. */
  private readonly _syncing = new Set<QueuedWrite[]>();

  constructor(private readonly _db: Database.Database) {
    if (String(_db.pragma("journal_mode", { simple: true })).toLowerCase() !== "wal") {
      throw new Error("group commit needs a database in WAL mode");
    }
    // SQLite creates the WAL when the database is opened in WAL mode; "a" would create it if not.
    this._walFd = openSync(`${_db.name}-wal`, "a");
  }

  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this._queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this._scheduled) {
        this._scheduled = true;
        setImmediate(() => this._flush());
      }
    });
  }

  /** Commits and syncs everything queued or in flight, synchronously; then the database may close. */
  close(): void {
    const queue = this._commit();
    fdatasyncSync(this._walFd);
    for (const group of this._syncing) settle(group);
    this._syncing.clear();
    if (queue) settle(queue);
    closeSync(this._walFd);
  }

  private _flush(): void {
    const queue = this._commit();
    if (!queue) return;
    this._syncing.add(queue);
    fdatasync(this._walFd, (error) => {
      if (!this._syncing.delete(queue)) return; // settled by close()
      if (error) for (const { reject } of queue) reject(error);
      else settle(queue);
    });
  }

  /** Runs the queued writes in one transaction; returns them with their outcomes, or undefined. */
  private _commit(): QueuedWrite[] | undefined {
    const queue = this._queue;
    this._queue = [];
    this._scheduled = false;
    if (queue.length === 0) return undefined;
    this._db.pragma("synchronous = NORMAL");
    try {
      this._db.transaction(() => {
        for (const item of queue) {
          try {
            item.outcome = { failed: false, value: this._db.transaction(item.write)() };
          } catch (error) {
            item.outcome = { failed: true, error };
          }
        }
      })();
    } catch (error) {
      for (const { reject } of queue) reject(error);
      return undefined;
    } finally {
      this._db.pragma("synchronous = FULL");
    }
    return queue;
  }
}

/** Settles each write of a committed group with its outcome. */
function settle(queue: QueuedWrite[]): void {
  for (const { outcome, resolve, reject } of queue) {
    if (outcome!.failed) reject(outcome!.error);
    else resolve(outcome!.value);
  }
}

import type Database from "better-sqlite3";
import { closeSync, fdatasync, fdatasyncSync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";

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
 * that throws is rolled back alone (a savepoint) and rejects alone; an error that aborts the whole
 * transaction (disk full, I/O) rejects the whole group and commits none of it. A failed WAL sync is
 * final: what was committed may not be on disk, so no later write is accepted.
 */
export class GroupCommit {
  private _queue: QueuedWrite[] = [];
  private _scheduled = false;
  private readonly _walFd: number;
  /** Groups committed but not yet known to be on disk. */
  private readonly _syncing = new Set<QueuedWrite[]>();
  /** Why writes are refused: closed, or a WAL sync failed. */
  private _refusal: Error | undefined;
  private _closed = false;

  constructor(private readonly _db: Database.Database) {
    if (String(_db.pragma("journal_mode", { simple: true })).toLowerCase() !== "wal") {
      throw new Error("group commit needs a database in WAL mode");
    }
    // SQLite creates the WAL when the database is opened in WAL mode; "a" would create it if not.
    const wal = `${_db.name}-wal`;
    this._walFd = openSync(wal, "a");
    syncDirectoryOf(wal); // the WAL's directory entry, which SQLite syncs only on its own WAL syncs
  }

  run<T>(write: () => T): Promise<T> {
    if (this._refusal) return Promise.reject(this._refusal);
    return new Promise<T>((resolve, reject) => {
      this._queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this._scheduled) {
        this._scheduled = true;
        setImmediate(() => this._flush());
      }
    });
  }

  /** Commits and syncs everything queued or in flight, synchronously; later writes are refused. */
  close(): void {
    if (this._closed) return;
    this._closed = true;
    const failure = this._refusal;
    this._refusal = new Error("the database is closed");
    if (failure) {
      this._rejectQueued(failure);
    } else {
      const queue = this._commit();
      fdatasyncSync(this._walFd);
      for (const group of this._syncing) settle(group);
      this._syncing.clear();
      if (queue) settle(queue);
    }
    closeSync(this._walFd);
  }

  private _flush(): void {
    if (this._refusal) return this._rejectQueued(this._refusal); // closed meanwhile, or a sync failed
    const queue = this._commit();
    if (!queue) return;
    this._syncing.add(queue);
    fdatasync(this._walFd, (error) => {
      if (!this._syncing.delete(queue)) return; // settled by close()
      if (!error) return settle(queue);
      this._refusal ??= new Error(`the database's WAL could not be synced; writes are refused: ${error.message}`);
      for (const { reject } of queue) reject(this._refusal);
    });
  }

  private _rejectQueued(error: Error): void {
    const queue = this._queue;
    this._queue = [];
    this._scheduled = false;
    for (const { reject } of queue) reject(error);
  }

  /** Runs the queued writes in one transaction; returns them with their outcomes, or undefined. */
  private _commit(): QueuedWrite[] | undefined {
    const queue = this._queue;
    this._queue = [];
    this._scheduled = false;
    if (queue.length === 0) return undefined;
    try {
      this._db.pragma("synchronous = NORMAL");
      this._db.transaction(() => {
        for (const item of queue) {
          try {
            item.outcome = { failed: false, value: this._db.transaction(item.write)() };
          } catch (error) {
            // Some errors (disk full, I/O) roll back the whole transaction, not just the savepoint:
            // then nothing of the group may commit, so stop and let the group fail as one.
            if (!this._db.inTransaction) throw error;
            item.outcome = { failed: true, error };
          }
        }
      })();
    } catch (error) {
      for (const { reject } of queue) reject(error);
      return undefined;
    } finally {
      if (this._db.open) this._db.pragma("synchronous = FULL");
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

function syncDirectoryOf(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

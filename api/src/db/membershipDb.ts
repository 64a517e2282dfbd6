import type Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openDurableDatabase, type DurableDatabase } from "./durableDatabase";
import type { MembershipChange } from "../charges/membership";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS membership_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  member TEXT NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS membership_state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  platform_sequence TEXT NOT NULL,
  recorded_through INTEGER NOT NULL
);
INSERT OR IGNORE INTO membership_state (id, platform_sequence, recorded_through) VALUES (0, '-1', 0);
`;

export interface PendingChanges {
  changes: MembershipChange[];
  /** The last change's row: {@link MembershipDb.markRecorded} takes it once the batch is on chain. */
  through: number;
}

/**
 * The gateway's membership outbox (membership.sqlite): changes the platform handed over, acknowledged
 * once on disk, until a batch holding them is recorded on chain. Recording is at least once: a
 * crash between the chain and `markRecorded` records them again later, which the eligibility rule
 * makes harmless (a repeated join or leave changes nothing), and their order is kept.
 */
export class MembershipDb {
  private readonly _database: DurableDatabase;
  private readonly _db: Database.Database;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this._database = openDurableDatabase(path, SCHEMA);
    this._db = this._database.db;
  }

  /** Durably queues `changes` under the platform's `sequence`; false when the sequence is not new. */
  async accept(sequence: bigint, changes: MembershipChange[], now: number): Promise<boolean> {
    return this._database.group.run(() => {
      if (sequence <= this.platformSequence()) return false;
      const insert = this._db.prepare("INSERT INTO membership_changes (kind, member, received_at) VALUES (?, ?, ?)");
      for (const change of changes) insert.run(change.kind, change.member, now);
      this._db.prepare("UPDATE membership_state SET platform_sequence = ? WHERE id = 0").run(sequence.toString());
      return true;
    });
  }

  platformSequence(): bigint {
    const row = this._db.prepare("SELECT platform_sequence FROM membership_state WHERE id = 0").get() as {
      platform_sequence: string;
    };
    return BigInt(row.platform_sequence);
  }

  /** Up to `limit` changes not yet recorded on chain, in arrival order. */
  pending(limit: number): PendingChanges | undefined {
    const rows = this._db
      .prepare(
        "SELECT seq, kind, member FROM membership_changes WHERE seq > (SELECT recorded_through FROM membership_state) ORDER BY seq LIMIT ?",
      )
      .all(limit) as { seq: number; kind: MembershipChange["kind"]; member: string }[];
    if (rows.length === 0) return undefined;
    return { changes: rows.map((r) => ({ kind: r.kind, member: r.member })), through: rows[rows.length - 1].seq };
  }

  /** Marks every change through row `through` recorded on chain. */
  async markRecorded(through: number): Promise<void> {
    await this._database.group.run(() => {
      this._db
        .prepare("UPDATE membership_state SET recorded_through = MAX(recorded_through, ?) WHERE id = 0")
        .run(through);
    });
  }

  close(): Promise<void> {
    return this._database.close();
  }
}

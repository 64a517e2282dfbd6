import type Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openDurableDatabase, type DurableDatabase } from "./durableDatabase";
import type { PoolEntry } from "../jury/roster";
import type { StoredBallot } from "../jury/ballotSet";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jurors (
  voter TEXT PRIMARY KEY,
  member_hash TEXT NOT NULL UNIQUE,
  qualified_at INTEGER NOT NULL,
  credential TEXT NOT NULL,
  registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ballots (
  claim_id TEXT NOT NULL,
  round INTEGER NOT NULL,
  juror TEXT NOT NULL,
  pool_index INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  signature TEXT NOT NULL,
  envelope BLOB NOT NULL,
  PRIMARY KEY (claim_id, round, juror)
);
`;

/**
 * The gateway's jury file (jury.sqlite): registered voting keys and accepted ballots. A ballot is
 * acknowledged (its receipt signed) only once its row is on disk; a later sequence of the same
 * juror replaces the row, an earlier one never does.
 */
export class JuryDb {
  private readonly _database: DurableDatabase;
  private readonly _db: Database.Database;
  private readonly _putBallot: Database.Statement;
  private readonly _ballot: Database.Statement;
  private _jurorsVersion = 0;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this._database = openDurableDatabase(path, SCHEMA);
    this._db = this._database.db;
    this._putBallot = this._db.prepare(`
      INSERT INTO ballots (claim_id, round, juror, pool_index, sequence, received_at, signature, envelope)
      VALUES (@claimId, @round, @juror, @poolIndex, @sequence, @receivedAt, @signature, @envelope)
      ON CONFLICT (claim_id, round, juror) DO UPDATE SET
        pool_index = excluded.pool_index, sequence = excluded.sequence, received_at = excluded.received_at,
        signature = excluded.signature, envelope = excluded.envelope
      WHERE excluded.sequence > ballots.sequence`);
    this._ballot = this._db.prepare("SELECT * FROM ballots WHERE claim_id = ? AND round = ? AND juror = ?");
  }

  /**
   * Durably registers `entry` (group commit); a member's new key replaces its old one. False if the
   * voter key is another member's.
   */
  async registerJuror(entry: PoolEntry, now: number): Promise<boolean> {
    return this._database.group.run(() => {
      const owner = this._db.prepare("SELECT member_hash FROM jurors WHERE voter = ?").get(entry.voter) as
        { member_hash: string } | undefined;
      if (owner && owner.member_hash !== entry.memberHash) return false;
      this._db.prepare("DELETE FROM jurors WHERE member_hash = ?").run(entry.memberHash);
      this._db
        .prepare(
          "INSERT INTO jurors (voter, member_hash, qualified_at, credential, registered_at) VALUES (?, ?, ?, ?, ?)",
        )
        .run(entry.voter, entry.memberHash, entry.qualifiedAt, entry.credential, now);
      this._jurorsVersion++;
      return true;
    });
  }

  /** Changes whenever a registration changes the jurors (restarts from 0 with the process). */
  get jurorsVersion(): number {
    return this._jurorsVersion;
  }

  jurors(): PoolEntry[] {
    return (this._db.prepare("SELECT * FROM jurors ORDER BY voter").all() as Record<string, unknown>[]).map((r) => ({
      voter: r.voter as string,
      memberHash: r.member_hash as string,
      qualifiedAt: r.qualified_at as number,
      credential: r.credential as string,
    }));
  }

  jurorCount(): number {
    return (this._db.prepare("SELECT COUNT(*) AS n FROM jurors").get() as { n: number }).n;
  }

  /**
   * Durably stores `ballot` unless the juror has one of the same or a later sequence; resolves with
   * the ballot now held for the juror (the one given, or the one that stands).
   */
  async putBallot(claimId: string, round: number, ballot: StoredBallot): Promise<StoredBallot> {
    return (await this._database.group.run(() => {
      this._putBallot.run({ claimId, round, ...ballot });
      return this.ballot(claimId, round, ballot.juror);
    })) as StoredBallot;
  }

  ballot(claimId: string, round: number, juror: string): StoredBallot | undefined {
    const r = this._ballot.get(claimId, round, juror) as Record<string, unknown> | undefined;
    return r && ballotFromRow(r);
  }

  ballots(claimId: string, round: number): StoredBallot[] {
    return (
      this._db
        .prepare("SELECT * FROM ballots WHERE claim_id = ? AND round = ? ORDER BY juror")
        .all(claimId, round) as Record<string, unknown>[]
    ).map(ballotFromRow);
  }

  close(): Promise<void> {
    return this._database.close();
  }
}

function ballotFromRow(r: Record<string, unknown>): StoredBallot {
  return {
    juror: r.juror as string,
    poolIndex: r.pool_index as number,
    sequence: r.sequence as number,
    receivedAt: r.received_at as number,
    signature: r.signature as string,
    envelope: r.envelope as Buffer,
  };
}

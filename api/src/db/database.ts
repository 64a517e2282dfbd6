import type Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { openDurableDatabase, type DurableDatabase } from "./durableDatabase";

/** One evidence item as accepted: durable in the outbox before the 202. */
export interface EvidenceRow {
  receiptId: string;
  claimId: string;
  claimant: string;
  contentHash: string;
  kind: number;
  cid: string;
  size: number;
  nonce: string;
  /** uint256 as a decimal string: exact, as signed. */
  deadline: string;
  signature: string;
  /** Compressed public keys the evidence key is wrapped for (private items); [] for public ones. */
  recipients: string[];
  createdAt: number;
  batchRoot: string | null;
  leafIndex: number | null;
}

export type BatchStatus = "built" | "sent" | "anchored" | "confirmed" | "rejected";

export interface BatchRow {
  root: string;
  manifestCid: string;
  leafCount: number;
  status: BatchStatus;
  txHash: string | null;
  blockNumber: number | null;
  blockTime: number | null;
  batchIndex: number | null;
  createdAt: number;
  anchoredAt: number | null;
}

export interface AttestationRow {
  root: string;
  validator: string;
  valid: boolean;
  txHash: string;
  blockNumber: number;
}

export interface ClaimRow {
  claimId: string;
  claimant: string;
  planId: string;
  amountRequested: string;
  amountApproved: string;
  state: number;
  metadataCid: string;
  evidenceRoot: string | null;
  updatedBlock: number;
}

export interface ClaimEventRow {
  claimId: string;
  blockNumber: number;
  logIndex: number;
  txHash: string;
  name: string;
  args: Record<string, string | number | boolean>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS evidence (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  receipt_id TEXT NOT NULL UNIQUE,
  claim_id TEXT NOT NULL,
  claimant TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  kind INTEGER NOT NULL,
  cid TEXT NOT NULL,
  size INTEGER NOT NULL,
  nonce TEXT NOT NULL,
  deadline TEXT NOT NULL,
  signature TEXT NOT NULL,
  recipients TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  batch_root TEXT,
  leaf_index INTEGER,
  UNIQUE (claimant, nonce)
);
CREATE INDEX IF NOT EXISTS evidence_pending ON evidence (seq) WHERE batch_root IS NULL;
CREATE INDEX IF NOT EXISTS evidence_by_batch ON evidence (batch_root, leaf_index);
CREATE INDEX IF NOT EXISTS evidence_by_claim ON evidence (claim_id);
CREATE TABLE IF NOT EXISTS batches (
  root TEXT PRIMARY KEY,
  manifest_cid TEXT NOT NULL,
  leaf_count INTEGER NOT NULL,
  status TEXT NOT NULL,
  tx_hash TEXT,
  block_number INTEGER,
  block_time INTEGER,
  batch_index INTEGER,
  created_at INTEGER NOT NULL,
  anchored_at INTEGER
);
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status);
CREATE TABLE IF NOT EXISTS attestations (
  root TEXT NOT NULL,
  validator TEXT NOT NULL,
  valid INTEGER NOT NULL,
  tx_hash TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  PRIMARY KEY (root, validator)
);
CREATE TABLE IF NOT EXISTS claims (
  claim_id TEXT PRIMARY KEY,
  claimant TEXT NOT NULL,
  plan_id TEXT NOT NULL,
  amount_requested TEXT NOT NULL,
  amount_approved TEXT NOT NULL,
  state INTEGER NOT NULL,
  metadata_cid TEXT NOT NULL,
  evidence_root TEXT,
  updated_block INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_by_state ON claims (state);
CREATE TABLE IF NOT EXISTS claim_events (
  block_number INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  claim_id TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  name TEXT NOT NULL,
  args TEXT NOT NULL,
  PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS claim_events_by_claim ON claim_events (claim_id, block_number, log_index);
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, block INTEGER NOT NULL);
`;

type Raw = Record<string, unknown>;

function evidenceFromRow(r: Raw): EvidenceRow {
  return {
    receiptId: r.receipt_id as string,
    claimId: r.claim_id as string,
    claimant: r.claimant as string,
    contentHash: r.content_hash as string,
    kind: r.kind as number,
    cid: r.cid as string,
    size: r.size as number,
    nonce: r.nonce as string,
    deadline: r.deadline as string,
    signature: r.signature as string,
    recipients: JSON.parse(r.recipients as string) as string[],
    createdAt: r.created_at as number,
    batchRoot: (r.batch_root as string | null) ?? null,
    leafIndex: (r.leaf_index as number | null) ?? null,
  };
}

function batchFromRow(r: Raw): BatchRow {
  return {
    root: r.root as string,
    manifestCid: r.manifest_cid as string,
    leafCount: r.leaf_count as number,
    status: r.status as BatchStatus,
    txHash: (r.tx_hash as string | null) ?? null,
    blockNumber: (r.block_number as number | null) ?? null,
    blockTime: (r.block_time as number | null) ?? null,
    batchIndex: (r.batch_index as number | null) ?? null,
    createdAt: r.created_at as number,
    anchoredAt: (r.anchored_at as number | null) ?? null,
  };
}

function claimFromRow(r: Raw): ClaimRow {
  return {
    claimId: r.claim_id as string,
    claimant: r.claimant as string,
    planId: r.plan_id as string,
    amountRequested: r.amount_requested as string,
    amountApproved: r.amount_approved as string,
    state: r.state as number,
    metadataCid: r.metadata_cid as string,
    evidenceRoot: (r.evidence_root as string | null) ?? null,
    updatedBlock: r.updated_block as number,
  };
}

export class DuplicateNonceError extends Error {}

/**
 * The gateway's SQLite file: the durable outbox of accepted evidence and the read model the indexer
 * builds from chain events. WAL with synchronous=FULL: a committed write survives a crash of the
 * process or the machine. Outbox inserts from concurrent requests are grouped into one transaction
 * (see GroupCommit) and each caller is answered only after it is on disk.
 */
export class AidProofDb {
  private readonly _db: Database.Database;
  private readonly _insertEvidence: Database.Statement;
  private readonly _database: DurableDatabase;
  private readonly _statements = new Map<string, Database.Statement>();

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this._database = openDurableDatabase(path, SCHEMA);
    this._db = this._database.db;
    this._migrateDeadlineToText();
    this._insertEvidence = this._db.prepare(`
      INSERT INTO evidence (receipt_id, claim_id, claimant, content_hash, kind, cid, size, nonce, deadline,
                            signature, recipients, created_at)
      VALUES (@receiptId, @claimId, @claimant, @contentHash, @kind, @cid, @size, @nonce, @deadline,
              @signature, @recipients, @createdAt)`);
  }

  /**
   * Outboxes written before deadlines were kept exact have an INTEGER column, which SQLite turns into
   * a lossy REAL past 2^63: rebuild the table with a TEXT column (the values there fit a JS number).
   */
  private _migrateDeadlineToText(): void {
    const columns = this._db.pragma("table_info(evidence)") as { name: string; type: string }[];
    if (columns.find((c) => c.name === "deadline")?.type !== "INTEGER") return;
    const names = columns.map((c) => c.name).join(", ");
    this._db.transaction(() => {
      this._db.exec("ALTER TABLE evidence RENAME TO evidence_integer_deadline");
      this._db.exec(SCHEMA);
      this._db.exec(
        `INSERT INTO evidence (${names}) SELECT ${names.replace("deadline", "CAST(deadline AS TEXT)")} FROM evidence_integer_deadline`,
      );
      this._db.exec("DROP TABLE evidence_integer_deadline");
    })();
  }

  /** Durably adds an item to the outbox; resolves after the commit. */
  async addEvidence(row: EvidenceRow): Promise<void> {
    try {
      await this._database.group.run(() =>
        this._insertEvidence.run({ ...row, recipients: JSON.stringify(row.recipients) }),
      );
    } catch (error) {
      const unique = String(error).includes("UNIQUE constraint failed: evidence.claimant, evidence.nonce");
      throw unique ? new DuplicateNonceError(row.nonce) : error;
    }
  }

  nonceUsed(claimant: string, nonce: string): boolean {
    return !!this._statement("SELECT 1 FROM evidence WHERE claimant = ? AND nonce = ?").get(claimant, nonce);
  }

  pendingCount(): number {
    return (this._statement("SELECT COUNT(*) AS n FROM evidence WHERE batch_root IS NULL").get() as { n: number }).n;
  }

  pendingEvidence(limit: number): EvidenceRow[] {
    return (
      this._statement("SELECT * FROM evidence WHERE batch_root IS NULL ORDER BY seq LIMIT ?").all(limit) as Raw[]
    ).map(evidenceFromRow);
  }

  /** Records a built batch and assigns its items in one transaction: an item is in one batch at most. */
  createBatch(batch: Pick<BatchRow, "root" | "manifestCid" | "leafCount">, receiptIds: string[]): void {
    const assign = this._statement(
      "UPDATE evidence SET batch_root = ?, leaf_index = ? WHERE receipt_id = ? AND batch_root IS NULL",
    );
    this._db.transaction(() => {
      this._db
        .prepare(
          "INSERT INTO batches (root, manifest_cid, leaf_count, status, created_at) VALUES (?, ?, ?, 'built', ?)",
        )
        .run(batch.root, batch.manifestCid, batch.leafCount, Date.now());
      receiptIds.forEach((id, i) => {
        if (assign.run(batch.root, i, id).changes !== 1) throw new Error(`item ${id} is already batched`);
      });
    })();
  }

  markBatchSent(root: string, txHash: string): void {
    this._db
      .prepare("UPDATE batches SET status = 'sent', tx_hash = ? WHERE root = ? AND status IN ('built', 'sent')")
      .run(txHash, root);
  }

  markBatchAnchored(
    root: string,
    anchor: { txHash: string | null; blockNumber: number; blockTime: number; batchIndex: number },
  ): void {
    this._db
      .prepare(
        `UPDATE batches SET status = CASE WHEN status IN ('confirmed', 'rejected') THEN status ELSE 'anchored' END,
           tx_hash = COALESCE(?, tx_hash), block_number = ?, block_time = ?, batch_index = ?, anchored_at = COALESCE(anchored_at, ?)
         WHERE root = ?`,
      )
      .run(anchor.txHash, anchor.blockNumber, anchor.blockTime, anchor.batchIndex, Date.now(), root);
  }

  setBatchStatus(root: string, status: "confirmed" | "rejected"): void {
    this._statement("UPDATE batches SET status = ? WHERE root = ?").run(status, root);
  }

  /** Batches written but not known to be on chain: reconciled at start. */
  unanchoredBatches(): BatchRow[] {
    return (
      this._statement("SELECT * FROM batches WHERE status IN ('built', 'sent') ORDER BY created_at").all() as Raw[]
    ).map(batchFromRow);
  }

  batch(root: string): BatchRow | undefined {
    const row = this._statement("SELECT * FROM batches WHERE root = ?").get(root) as Raw | undefined;
    return row && batchFromRow(row);
  }

  batches(limit: number, offset: number): BatchRow[] {
    return (
      this._statement("SELECT * FROM batches ORDER BY created_at DESC LIMIT ? OFFSET ?").all(limit, offset) as Raw[]
    ).map(batchFromRow);
  }

  batchEvidence(root: string): EvidenceRow[] {
    return (this._statement("SELECT * FROM evidence WHERE batch_root = ? ORDER BY leaf_index").all(root) as Raw[]).map(
      evidenceFromRow,
    );
  }

  evidence(receiptId: string): EvidenceRow | undefined {
    const row = this._statement("SELECT * FROM evidence WHERE receipt_id = ?").get(receiptId) as Raw | undefined;
    return row && evidenceFromRow(row);
  }

  claimEvidence(claimId: string): EvidenceRow[] {
    return (this._statement("SELECT * FROM evidence WHERE claim_id = ? ORDER BY seq").all(claimId) as Raw[]).map(
      evidenceFromRow,
    );
  }

  upsertAttestation(a: AttestationRow): void {
    this._db
      .prepare(
        `INSERT INTO attestations (root, validator, valid, tx_hash, block_number) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (root, validator) DO NOTHING`,
      )
      .run(a.root, a.validator, a.valid ? 1 : 0, a.txHash, a.blockNumber);
  }

  attestations(root: string): AttestationRow[] {
    return (this._statement("SELECT * FROM attestations WHERE root = ? ORDER BY block_number").all(root) as Raw[]).map(
      (r) => ({
        root: r.root as string,
        validator: r.validator as string,
        valid: r.valid === 1,
        txHash: r.tx_hash as string,
        blockNumber: r.block_number as number,
      }),
    );
  }

  upsertClaim(c: ClaimRow): void {
    this._db
      .prepare(
        `INSERT INTO claims (claim_id, claimant, plan_id, amount_requested, amount_approved, state, metadata_cid, evidence_root, updated_block)
         VALUES (@claimId, @claimant, @planId, @amountRequested, @amountApproved, @state, @metadataCid, @evidenceRoot, @updatedBlock)
         ON CONFLICT (claim_id) DO UPDATE SET amount_approved = excluded.amount_approved, state = excluded.state,
           evidence_root = excluded.evidence_root, updated_block = excluded.updated_block`,
      )
      .run(c);
  }

  claim(claimId: string): ClaimRow | undefined {
    const row = this._statement("SELECT * FROM claims WHERE claim_id = ?").get(claimId) as Raw | undefined;
    return row && claimFromRow(row);
  }

  claims(filter: { state?: number; limit: number; offset: number }): ClaimRow[] {
    const rows =
      filter.state === undefined
        ? this._db
            .prepare("SELECT * FROM claims ORDER BY CAST(claim_id AS INTEGER) LIMIT ? OFFSET ?")
            .all(filter.limit, filter.offset)
        : this._db
            .prepare("SELECT * FROM claims WHERE state = ? ORDER BY CAST(claim_id AS INTEGER) LIMIT ? OFFSET ?")
            .all(filter.state, filter.limit, filter.offset);
    return (rows as Raw[]).map(claimFromRow);
  }

  addClaimEvent(e: ClaimEventRow): void {
    this._db
      .prepare(
        `INSERT INTO claim_events (block_number, log_index, claim_id, tx_hash, name, args) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT DO NOTHING`,
      )
      .run(e.blockNumber, e.logIndex, e.claimId, e.txHash, e.name, JSON.stringify(e.args));
  }

  claimEvents(claimId: string): ClaimEventRow[] {
    return (
      this._db
        .prepare("SELECT * FROM claim_events WHERE claim_id = ? ORDER BY block_number, log_index")
        .all(claimId) as Raw[]
    ).map((r) => ({
      claimId: r.claim_id as string,
      blockNumber: r.block_number as number,
      logIndex: r.log_index as number,
      txHash: r.tx_hash as string,
      name: r.name as string,
      args: JSON.parse(r.args as string) as ClaimEventRow["args"],
    }));
  }

  cursor(name: string): number | undefined {
    return (this._statement("SELECT block FROM cursors WHERE name = ?").get(name) as { block: number } | undefined)
      ?.block;
  }

  setCursor(name: string, block: number): void {
    this._db
      .prepare(
        "INSERT INTO cursors (name, block) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET block = excluded.block",
      )
      .run(name, block);
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    return this._db.transaction(work)();
  }

  /** Drops the read model (claims, events, attestations, cursors): the indexer rebuilds it from block 0. */
  resetReadModel(): void {
    this._db.exec("DELETE FROM claims; DELETE FROM claim_events; DELETE FROM attestations; DELETE FROM cursors;");
  }

  ping(): boolean {
    return (this._statement("SELECT 1 AS ok").get() as { ok: number }).ok === 1;
  }

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private _statement(sql: string): Database.Statement {
    let statement = this._statements.get(sql);
    if (!statement) this._statements.set(sql, (statement = this._db.prepare(sql)));
    return statement;
  }

  close(): Promise<void> {
    return this._database.close();
  }
}

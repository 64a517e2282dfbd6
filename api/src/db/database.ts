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

export type BatchStatus = "built" | "sent" | "anchored" | "confirmed" | "rejected" | "abandoned";

export interface BatchRow {
  /** The root anchored: the leaves' root paired with the batch header (gateway, salt). */
  root: string;
  leavesRoot: string;
  salt: string;
  /** The gateway address that anchors it; with the salt, the batch header. */
  gateway: string;
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

/** Bumped whenever a data directory of the previous version cannot be read as it is. */
const SCHEMA_VERSION = 2;

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
  leaves_root TEXT NOT NULL,
  salt TEXT NOT NULL,
  gateway TEXT NOT NULL,
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
CREATE TABLE IF NOT EXISTS excluded_leaves (
  root TEXT NOT NULL,
  leaf_hash TEXT NOT NULL,
  PRIMARY KEY (root, leaf_hash)
);
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
    leavesRoot: r.leaves_root as string,
    salt: r.salt as string,
    gateway: r.gateway as string,
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
    this._checkSchemaVersion(path);
    this._insertEvidence = this._db.prepare(`
      INSERT INTO evidence (receipt_id, claim_id, claimant, content_hash, kind, cid, size, nonce, deadline,
                            signature, recipients, created_at)
      VALUES (@receiptId, @claimId, @claimant, @contentHash, @kind, @cid, @size, @nonce, @deadline,
              @signature, @recipients, @createdAt)`);
  }

  /**
   * A data directory written by an older AidProof (a different schema, and contracts of an older
   * ABI on its chain) is refused with a clear message rather than misread.
   */
  private _checkSchemaVersion(path: string): void {
    const version = this._db.pragma("user_version", { simple: true }) as number;
    if (version === SCHEMA_VERSION) return;
    const columns = (this._db.pragma("table_info(batches)") as { name: string }[]).map((c) => c.name);
    const fresh = version === 0 && columns.includes("salt") && this.pendingCount() === 0 && !this.batches(1, 0).length;
    if (!fresh)
      throw new Error(
        `${path} was written by an older version of AidProof (schema ${version}, this one reads ${SCHEMA_VERSION}): start with a new data directory`,
      );
    this._db.pragma(`user_version = ${SCHEMA_VERSION}`);
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
  createBatch(
    batch: Pick<BatchRow, "root" | "leavesRoot" | "salt" | "gateway" | "manifestCid" | "leafCount">,
    receiptIds: string[],
  ): void {
    const assign = this._statement(
      "UPDATE evidence SET batch_root = ?, leaf_index = ? WHERE receipt_id = ? AND batch_root IS NULL",
    );
    this._db.transaction(() => {
      this._db
        .prepare(
          `INSERT INTO batches (root, leaves_root, salt, gateway, manifest_cid, leaf_count, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, 'built', ?)`,
        )
        .run(batch.root, batch.leavesRoot, batch.salt, batch.gateway, batch.manifestCid, batch.leafCount, Date.now());
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

  /**
   * Gives up a batch the chain holds differently (another manifest or leaf count under its root):
   * its items go back to the outbox, to be batched again under a new salt, hence a new root.
   */
  abandonBatch(root: string): void {
    this._db.transaction(() => {
      this._statement("UPDATE batches SET status = 'abandoned' WHERE root = ?").run(root);
      this._statement("UPDATE evidence SET batch_root = NULL, leaf_index = NULL WHERE batch_root = ?").run(root);
    })();
  }

  /** Leaves the validators' confirming verdict named invalid: their items are rejected, the others stand. */
  recordExcludedLeaves(root: string, leafHashes: string[]): void {
    const insert = this._statement("INSERT OR IGNORE INTO excluded_leaves (root, leaf_hash) VALUES (?, ?)");
    this._db.transaction(() => leafHashes.forEach((h) => insert.run(root, h.toLowerCase())))();
  }

  isExcluded(root: string, leafHash: string): boolean {
    return !!this._statement("SELECT 1 FROM excluded_leaves WHERE root = ? AND leaf_hash = ?").get(
      root,
      leafHash.toLowerCase(),
    );
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

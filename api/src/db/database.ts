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
  /** Why the item will never be anchored (its claim was rolled back off the chain); null otherwise. */
  dropped?: string | null;
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
  blockHash: string | null;
  /** Deep enough below the head that the chain will not roll it back (AIDPROOF_FINALITY_DEPTH). */
  final: boolean;
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
  dropped TEXT,
  UNIQUE (claimant, nonce)
);
CREATE INDEX IF NOT EXISTS evidence_pending ON evidence (seq) WHERE batch_root IS NULL AND dropped IS NULL;
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
  anchored_at INTEGER,
  block_hash TEXT,
  final INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS relayed_claims (
  claim_id TEXT NOT NULL,
  claimant TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (claim_id, tx_hash)
);
CREATE INDEX IF NOT EXISTS relayed_claims_open ON relayed_claims (status) WHERE status = 'pending';
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
CREATE TABLE IF NOT EXISTS cursors (name TEXT PRIMARY KEY, block INTEGER NOT NULL, hash TEXT);
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
    dropped: (r.dropped as string | null) ?? null,
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
    blockHash: (r.block_hash as string | null) ?? null,
    final: r.final === 1,
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

/** A claim as the chain returns it, as the read model keeps it (a zero evidence root is none). */
export function claimRowOf(
  claim: Omit<ClaimRow, "evidenceRoot" | "updatedBlock"> & { evidenceRoot: string },
  updatedBlock: number,
): ClaimRow {
  return {
    claimId: claim.claimId,
    claimant: claim.claimant,
    planId: claim.planId,
    amountRequested: claim.amountRequested,
    amountApproved: claim.amountApproved,
    state: claim.state,
    metadataCid: claim.metadataCid,
    evidenceRoot: /^0x0+$/.test(claim.evidenceRoot) ? null : claim.evidenceRoot,
    updatedBlock,
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
    return (
      this._statement("SELECT COUNT(*) AS n FROM evidence WHERE batch_root IS NULL AND dropped IS NULL").get() as {
        n: number;
      }
    ).n;
  }

  pendingEvidence(limit: number): EvidenceRow[] {
    return (
      this._statement("SELECT * FROM evidence WHERE batch_root IS NULL AND dropped IS NULL ORDER BY seq LIMIT ?").all(
        limit,
      ) as Raw[]
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
    anchor: { txHash: string | null; blockNumber: number; blockHash: string; blockTime: number; batchIndex: number },
  ): void {
    this._db
      .prepare(
        `UPDATE batches SET status = CASE WHEN status IN ('confirmed', 'rejected') THEN status ELSE 'anchored' END,
           tx_hash = COALESCE(?, tx_hash), block_number = ?, block_hash = ?, block_time = ?, batch_index = ?,
           anchored_at = COALESCE(anchored_at, ?)
         WHERE root = ?`,
      )
      .run(anchor.txHash, anchor.blockNumber, anchor.blockHash, anchor.blockTime, anchor.batchIndex, Date.now(), root);
  }

  /** Batches anchored but not final yet (all anchored ones with `all`): the finality tracker checks them. */
  anchoredBatches(all: boolean): BatchRow[] {
    return (
      this._statement(
        `SELECT * FROM batches WHERE block_number IS NOT NULL AND status != 'abandoned' ${all ? "" : "AND final = 0"} ORDER BY created_at`,
      ).all() as Raw[]
    ).map(batchFromRow);
  }

  markBatchFinal(root: string): void {
    this._statement("UPDATE batches SET final = 1 WHERE root = ?").run(root);
  }

  /**
   * The chain lost this batch's anchor (rolled back): it is given up like an abandoned one, its
   * items go back to the outbox, and the validators' verdicts recorded for it are forgotten.
   */
  rollBackBatch(root: string): void {
    this._db.transaction(() => {
      this.abandonBatch(root);
      this._statement("DELETE FROM attestations WHERE root = ?").run(root);
      this._statement("DELETE FROM excluded_leaves WHERE root = ?").run(root);
    })();
  }

  /** A claim this gateway relayed, tracked until final. */
  addRelayedClaim(claim: {
    claimId: string;
    claimant: string;
    txHash: string;
    blockNumber: number;
    blockHash: string;
  }): void {
    this._statement(
      `INSERT OR REPLACE INTO relayed_claims (claim_id, claimant, tx_hash, block_number, block_hash, status)
       VALUES (?, ?, ?, ?, ?, 'pending')`,
    ).run(claim.claimId, claim.claimant, claim.txHash, claim.blockNumber, claim.blockHash);
  }

  pendingRelayedClaims(): {
    claimId: string;
    claimant: string;
    txHash: string;
    blockNumber: number;
    blockHash: string;
  }[] {
    return (
      this._statement("SELECT * FROM relayed_claims WHERE status = 'pending' ORDER BY block_number").all() as Raw[]
    ).map((r) => ({
      claimId: r.claim_id as string,
      claimant: r.claimant as string,
      txHash: r.tx_hash as string,
      blockNumber: r.block_number as number,
      blockHash: r.block_hash as string,
    }));
  }

  markRelayedClaim(claimId: string, txHash: string, status: "final" | "rolled_back"): void {
    this._statement("UPDATE relayed_claims SET status = ? WHERE claim_id = ? AND tx_hash = ?").run(
      status,
      claimId,
      txHash,
    );
  }

  /**
   * A relayed claim the chain rolled back: its claimant's items not yet batched are dropped with a
   * reason, never batched with others. Returns how many.
   */
  dropClaimEvidence(claimId: string, claimant: string, reason: string): number {
    return this._statement(
      "UPDATE evidence SET dropped = ? WHERE claim_id = ? AND claimant = ? AND batch_root IS NULL AND dropped IS NULL",
    ).run(reason, claimId, claimant).changes;
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

  /** The last block indexed under `name`, with its hash (to notice the chain no longer has it). */
  cursor(name: string): { block: number; hash: string | null } | undefined {
    return this._statement("SELECT block, hash FROM cursors WHERE name = ?").get(name) as
      { block: number; hash: string | null } | undefined;
  }

  setCursor(name: string, block: number, hash: string): void {
    this._statement(
      "INSERT INTO cursors (name, block, hash) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET block = excluded.block, hash = excluded.hash",
    ).run(name, block, hash);
  }

  /** Runs `work` in one transaction. */
  transaction<T>(work: () => T): T {
    return this._db.transaction(work)();
  }

  /** The read model's claim `claimId` replaced by the chain's (or removed when the chain has none). */
  replaceClaim(claimId: string, claim: ClaimRow | undefined): void {
    if (claim) this.upsertClaim(claim);
    else this._statement("DELETE FROM claims WHERE claim_id = ?").run(claimId);
  }

  /** Drops the read model (claims, events, attestations, cursors): the indexer rebuilds it from block 0. */
  resetReadModel(): void {
    this._db.exec(`DELETE FROM claims; DELETE FROM claim_events; DELETE FROM attestations; DELETE FROM cursors;
      DELETE FROM excluded_leaves; UPDATE batches SET status = 'anchored' WHERE status IN ('confirmed', 'rejected');`);
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

import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { keccak256, toUtf8Bytes } from "ethers";
import type { AidProofDb, BatchRow, EvidenceRow } from "../db/database";
import type { EvidenceStore } from "../store/evidenceStore";
import type { ChainAdapter } from "../chain/chainAdapter";
import { buildEvidenceTree } from "../chain/evidenceLeaf";
import { batchRoot } from "../chain/evidenceTree";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import { buildManifest, manifestLeaf, type ManifestItem } from "./manifest";

export interface BatcherOptions {
  maxItems: number;
  intervalMs: number;
  /** Batches sent and awaiting their receipt at once. */
  inFlight: number;
}

const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 5_000;

function manifestItem(row: EvidenceRow): ManifestItem {
  return {
    claimId: row.claimId,
    claimant: row.claimant,
    contentHash: row.contentHash,
    kind: row.kind,
    cid: row.cid,
    size: row.size,
    nonce: row.nonce,
    deadline: row.deadline,
    signature: row.signature,
    recipients: row.recipients,
  };
}

/**
 * Turns the outbox into anchored batches. A batch closes when it is full or when the interval
 * passes; it is written to the database (items assigned in the same transaction) and its manifest to
 * IPFS before its transaction is sent, so a crash at any point leaves either pending items or a batch
 * that {@link reconcile} finishes. The contract refuses a root twice, so no item is anchored twice.
 */
export class Batcher {
  private _running = false;
  private _loop: Promise<void> | undefined;
  private readonly _inFlight = new Set<Promise<void>>();
  private _wake: (() => void) | undefined;
  /** Items accepted and not yet batched, as far as this process knows. */
  private _unbatched = 0;

  constructor(
    private readonly _db: AidProofDb,
    private readonly _store: EvidenceStore,
    private readonly _chain: ChainAdapter,
    private readonly _options: BatcherOptions,
    private readonly _log: Logger,
    private readonly _metrics: Metrics,
  ) {}

  start(): void {
    this._unbatched = this._db.pendingCount();
    this._metrics.outboxDepth.set(this._unbatched);
    this._running = true;
    this._loop = this._run();
  }

  /** Called after each accepted item: closes a full batch without waiting for the interval. */
  itemAccepted(): void {
    this._metrics.outboxDepth.inc();
    if (++this._unbatched >= this._options.maxItems) this._wake?.();
  }

  /** Stops closing batches and waits for those in flight (bounded by their retries' progress). */
  async stop(): Promise<void> {
    this._running = false;
    this._wake?.();
    await this._loop;
    await Promise.allSettled(this._inFlight);
  }

  /** Finishes batches a previous process built or sent: marks those on chain, re-sends the others. */
  async reconcile(): Promise<void> {
    for (const batch of this._db.unanchoredBatches()) {
      this._log.info({ root: batch.root, status: batch.status }, "reconciling batch from a previous run");
      this._track(this._anchor(batch, []));
    }
  }

  private async _run(): Promise<void> {
    await this.reconcile();
    while (this._running) {
      await this._waitForWork();
      while (this._running && this._inFlight.size < this._options.inFlight) {
        const items = this._db.pendingEvidence(this._options.maxItems);
        if (items.length === 0) break;
        try {
          await this._closeBatch(items);
        } catch (error) {
          this._log.error({ err: error }, "could not build a batch; retrying");
          await sleep(BACKOFF_MIN_MS);
          break;
        }
        this._unbatched = this._db.pendingCount();
        this._metrics.outboxDepth.set(this._unbatched);
        if (items.length < this._options.maxItems) break;
      }
      if (this._inFlight.size >= this._options.inFlight) await Promise.race(this._inFlight);
    }
  }

  private async _waitForWork(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this._options.intervalMs);
      this._wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this._wake = undefined;
  }

  private async _closeBatch(items: EvidenceRow[]): Promise<void> {
    const leaves = items.map(manifestItem);
    const leavesRoot = buildEvidenceTree(leaves.map(manifestLeaf)).root;
    const manifest = buildManifest(this._chain.chainId, this._chain.addresses.evidenceRegistry, leaves);
    const { cid } = await this._store.put(Buffer.from(JSON.stringify(manifest)));
    // A fresh salt per batch: the anchored root is this gateway's alone, and a batch given up can be
    // anchored again under another root.
    const salt = `0x${randomBytes(32).toString("hex")}`;
    const gateway = this._chain.gatewayAddress;
    const batch = {
      root: batchRoot(gateway, leavesRoot, salt),
      leavesRoot,
      salt,
      gateway,
      manifestCid: cid,
      leafCount: items.length,
    };
    this._db.createBatch(
      batch,
      items.map((i) => i.receiptId),
    );
    this._metrics.batchSize.observe(items.length);
    this._track(
      this._anchor(
        batch,
        items.map((i) => i.createdAt),
      ),
    );
  }

  private _track(work: Promise<void>): void {
    this._inFlight.add(work);
    void work.finally(() => this._inFlight.delete(work));
  }

  /** Sends and confirms the anchor of one batch, retrying with backoff until it is on chain. */
  private async _anchor(
    batch: Pick<BatchRow, "root" | "leavesRoot" | "salt" | "manifestCid" | "leafCount">,
    acceptedAt: number[],
  ): Promise<void> {
    const { root, leafCount, manifestCid } = batch;
    for (let attempt = 0; ; ++attempt) {
      try {
        let onChain = await this._chain.batch(root);
        let txHash: string | null = null;
        if (!onChain) {
          const tx = await this._chain.sendAnchor(batch.leavesRoot, batch.salt, leafCount, manifestCid);
          txHash = tx.hash;
          this._db.markBatchSent(root, tx.hash);
          const receipt = await tx.wait();
          onChain = await this._chain.batch(root);
          if (!onChain)
            throw new Error(`anchor transaction ${tx.hash} mined with status ${receipt.status} but no batch`);
          if (receipt.status !== 1) txHash = null; // another transaction anchored it (a re-send after a crash)
        }
        if (onChain.manifestCidHash !== keccak256(toUtf8Bytes(manifestCid)) || onChain.leafCount !== leafCount) {
          // Not this batch: never adopt an anchor as ours without comparing it. Its items are batched again.
          this._log.error({ root, onChain }, "the chain holds another batch under this root; batching its items again");
          this._db.abandonBatch(root);
          return;
        }
        this._db.markBatchAnchored(root, {
          txHash,
          blockNumber: onChain.anchoredBlock,
          blockHash: await this._chain.blockHash(onChain.anchoredBlock),
          blockTime: onChain.anchoredAt,
          batchIndex: onChain.index,
        });
        const now = Date.now();
        for (const t of acceptedAt) this._metrics.anchorLatency.observe((now - t) / 1000);
        this._log.info({ root, leafCount, batchIndex: onChain.index, block: onChain.anchoredBlock }, "batch anchored");
        return;
      } catch (error) {
        this._metrics.anchorFailures.inc();
        this._chain.resetNonce();
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt);
        this._log.warn(
          { root, attempt, delay, err: error instanceof Error ? error.message : error },
          "anchor failed; retrying",
        );
        if (!this._running && attempt > 2) return; // shutting down: reconcile finishes it next start
        await sleep(delay);
      }
    }
  }
}

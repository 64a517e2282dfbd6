import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { MembershipDb } from "../db/membershipDb";
import type { EvidenceStore } from "../store/evidenceStore";
import type { Logger } from "../logger";
import type { BulkKeccak } from "./hasher";
import { countKinds, encodeMembershipBatch } from "./membership";
import { CHARGE_STATUS } from "../verify/charges";
import { derivePeriodCharges, type ChargeChain, type MembershipLedger } from "./periodDerivation";
import { PollLoop } from "../node/pollLoop";

/** Changes per membership batch: a 3.3 MB file at most. */
const BATCH_CHANGES = 100_000;
/** Least time between two proposals of a period the members rejected. */
const REPROPOSE_MS = 60_000;

/**
 * The gateway's side of cost sharing: it records the platform's queued membership changes as
 * batches, and once the next period to charge has closed it skips it (nothing to charge) or derives
 * its charges, stores the manifest and proposes them. The validators derive the same from the chain
 * and confirm or reject; the chain refuses a bill or a membership cutoff it does not compute itself.
 */
export class ChargeCoordinator {
  private _reproposeAt = 0;
  private _poll: PollLoop | undefined;

  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _db: MembershipDb,
    private readonly _store: EvidenceStore,
    private readonly _source: ChargeChain,
    private readonly _ledger: MembershipLedger,
    private readonly _keccak: BulkKeccak,
    private readonly _dir: string,
    private readonly _log: Logger,
    private readonly _pollMs = 1_000,
  ) {}

  start(): void {
    this._poll = new PollLoop(
      () => this.tick(),
      this._pollMs,
      (error) =>
        this._log.warn({ err: error instanceof Error ? error.message : error }, "charges round failed; retrying"),
    );
    this._poll.start();
  }

  async stop(): Promise<void> {
    await this._poll?.stop();
  }

  async tick(): Promise<void> {
    await this.recordMembership();
    await this.chargeNextPeriod();
  }

  /** Records the queued membership changes on chain, a batch at a time, in order. */
  async recordMembership(): Promise<void> {
    for (let pending = this._db.pending(BATCH_CHANGES); pending; pending = this._db.pending(BATCH_CHANGES)) {
      const { cid } = await this._store.put(encodeMembershipBatch(pending.changes));
      const { joins, leaves } = countKinds(pending.changes);
      await this._chain.transact(
        () => this._chain.membershipRegistry.recordBatch(joins, leaves, cid),
        "the membership batch was refused",
      );
      await this._db.markRecorded(pending.through);
      this._log.info({ joins, leaves, cid }, "membership batch recorded");
    }
  }

  /** Skips or proposes the next period to charge once it has closed and nothing of it is pending. */
  async chargeNextPeriod(): Promise<void> {
    const registry = this._chain.chargeRegistry;
    const period = await registry.nextPeriod();
    const [, closesAt] = await this._chain.announcementRegistry.periodBounds(period);
    const head = await this._chain.provider.getBlock("latest");
    if (!head || BigInt(head.timestamp) < closesAt) return;
    const current = await registry.charges(period);
    const status = CHARGE_STATUS[Number(current.status)];
    if (status === "pending") return; // the validators are judging it
    // After a rejection the chain's facts are the same, so the derivation is too: propose it again
    // (the new publication's verdicts count afresh), at most once per interval, and say so.
    if (status === "rejected") {
      if (Date.now() < this._reproposeAt) return;
      this._reproposeAt = Date.now() + REPROPOSE_MS;
      this._log.warn(
        { period: period.toString(), root: current.root },
        "the members rejected the period's charges; proposing again",
      );
    }
    const bill = await registry.bill(period);
    if (bill.total === 0n || bill.cap === 0n) {
      await this._chain.transact(() => registry.skipPeriod(period), "the period could not be skipped");
      this._log.info(
        { period: period.toString(), carried: bill.total.toString() },
        "period skipped: nothing to charge",
      );
      return;
    }
    const dir = join(this._dir, period.toString());
    const { built, facts } = await derivePeriodCharges(
      this._source,
      this._ledger,
      this._keccak,
      period,
      bill.total,
      dir,
    );
    built.tree?.close();
    const { manifest } = built;
    for (const chunk of manifest.chunks) {
      const bytes = readFileSync(join(dir, chunk.file));
      chunk.cid = (await this._store.put(bytes, { maxBytes: bytes.length })).cid;
    }
    writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    const { cid } = await this._store.put(Buffer.from(JSON.stringify(manifest)));
    await this._chain.transact(
      () =>
        registry.proposeCharges(period, manifest.root, manifest.memberCount, facts.membershipBatches, bill.total, cid),
      "the charges were refused",
    );
    this._log.info(
      { period: period.toString(), members: manifest.memberCount, total: manifest.total, root: manifest.root, cid },
      "charges proposed",
    );
  }
}

import type { ChainAdapter } from "../chain/chainAdapter";
import type { EvidenceStore } from "../store/evidenceStore";
import type { Logger } from "../logger";
import { announcementRoot, deriveAnnouncement, type AnnouncementSource } from "./announcement";
import { PollLoop } from "../node/pollLoop";

const PENDING = 1;
const CONFIRMED = 2;
const REJECTED = 3;
const RETRY_MAX_MS = 5 * 60_000;

/**
 * The gateway's announcer: once a period has closed on chain (a block at or past its end exists),
 * it derives the period's announcement from chain events, stores the manifest and publishes its
 * root. Every period is announced, an empty one too, so a period with nothing in it is a statement
 * the members confirm rather than a silence. A rejected announcement is derived again and
 * re-published only if the derivation now differs (a fix, or a chain that caught up); a pending one
 * that waited a whole period for its quorum is published again.
 */
export class Announcer {
  private _poll: PollLoop | undefined;
  /** Periods below this one are confirmed. */
  private _firstOpen = 0n;
  /** Periods that failed: when to try again. */
  private readonly _retry = new Map<bigint, { attempts: number; at: number }>();

  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _store: EvidenceStore,
    private readonly _source: AnnouncementSource,
    private readonly _log: Logger,
    /** Blocks the period's end must be below the head (AIDPROOF_FINALITY_DEPTH): no announcing what a rollback could change. */
    private readonly _finalityDepth = 0,
    private readonly _pollMs = 2_000,
  ) {}

  start(): void {
    this._poll = new PollLoop(
      () => this.announceClosedPeriods(),
      this._pollMs,
      (error) =>
        this._log.warn({ err: error instanceof Error ? error.message : error }, "announcer round failed; retrying"),
    );
    this._poll.start();
  }

  async stop(): Promise<void> {
    await this._poll?.stop();
  }

  /**
   * Publishes every closed period that has no pending or confirmed announcement, or whose pending
   * one has waited a whole period for its quorum. A period that fails is retried with backoff
   * while the periods after it go on.
   */
  async announceClosedPeriods(): Promise<void> {
    const registry = this._chain.announcementRegistry;
    const latest = await this._chain.blockNumber();
    const head = await this._chain.provider.getBlock(Math.max(0, latest - this._finalityDepth));
    if (!head) return;
    const [epoch, length] = await Promise.all([registry.epoch(), registry.periodLength()]);
    if (BigInt(head.timestamp) < epoch + length) return;
    const closed = (BigInt(head.timestamp) - epoch) / length; // periods [0, closed) have closed
    for (let period = this._firstOpen; period < closed; period++) {
      if (Date.now() < (this._retry.get(period)?.at ?? 0)) continue;
      try {
        await this._announce(period, BigInt(head.timestamp), length);
        this._retry.delete(period);
      } catch (error) {
        const attempts = (this._retry.get(period)?.attempts ?? 0) + 1;
        this._retry.set(period, { attempts, at: Date.now() + Math.min(RETRY_MAX_MS, this._pollMs * 2 ** attempts) });
        this._log.warn(
          { period: period.toString(), attempts, err: error instanceof Error ? error.message : error },
          "cannot announce this period now; retrying",
        );
      }
    }
  }

  private async _announce(period: bigint, now: bigint, length: bigint): Promise<void> {
    const current = await this._chain.announcementRegistry.announcement(period);
    const status = Number(current.status);
    if (status === CONFIRMED && period === this._firstOpen) this._firstOpen = period + 1n;
    const stale = status === PENDING && now >= current.publishedAt + length;
    if (status === CONFIRMED || (status === PENDING && !stale)) return;
    const manifest = await deriveAnnouncement(this._source, period);
    const root = announcementRoot(manifest.entries);
    if (status === REJECTED && root === current.root.toLowerCase())
      throw new Error(`the members rejected announcement ${root} and it derives the same again`);
    const { cid } = await this._store.put(Buffer.from(JSON.stringify(manifest)));
    await this._chain.publishAnnouncement(period, root, manifest.entries.length, cid);
    this._log.info(
      { period: period.toString(), entries: manifest.entries.length, root, cid },
      "announcement published",
    );
  }
}

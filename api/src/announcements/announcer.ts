import type { ChainAdapter } from "../chain/chainAdapter";
import type { EvidenceStore } from "../store/evidenceStore";
import type { Logger } from "../logger";
import { announcementRoot, deriveAnnouncement, type AnnouncementSource } from "./announcement";

const PENDING = 1;
const CONFIRMED = 2;
const REJECTED = 3;

/**
 * The gateway's announcer: once a period has closed on chain (a block at or past its end exists),
 * it derives the period's announcement from chain events, stores the manifest and publishes its
 * root. Every period is announced, an empty one too, so a period with nothing in it is a statement
 * the members confirm rather than a silence. A rejected announcement is derived again and
 * re-published only if the derivation now differs (a fix, or a chain that caught up).
 */
export class Announcer {
  private _running = false;
  private _loop: Promise<void> | undefined;
  /** Periods below this one are confirmed. */
  private _firstOpen = 0n;
  private readonly _stuck = new Set<string>();

  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _store: EvidenceStore,
    private readonly _source: AnnouncementSource,
    private readonly _log: Logger,
    private readonly _pollMs = 2_000,
  ) {}

  start(): void {
    this._running = true;
    this._loop = (async () => {
      while (this._running) {
        try {
          await this.announceClosedPeriods();
        } catch (error) {
          this._log.warn({ err: error instanceof Error ? error.message : error }, "announcer round failed; retrying");
        }
        await new Promise((resolve) => setTimeout(resolve, this._pollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this._running = false;
    await this._loop;
  }

  /** Publishes every closed period that has no pending or confirmed announcement. */
  async announceClosedPeriods(): Promise<void> {
    const registry = this._chain.announcementRegistry;
    const head = await this._chain.provider.getBlock("latest");
    if (!head) return;
    const [epoch, length] = await Promise.all([registry.epoch(), registry.periodLength()]);
    if (BigInt(head.timestamp) < epoch + length) return;
    const closed = (BigInt(head.timestamp) - epoch) / length; // periods [0, closed) have closed
    for (let period = this._firstOpen; period < closed; period++) {
      const current = await registry.announcement(period);
      const status = Number(current.status);
      if (status === CONFIRMED && period === this._firstOpen) this._firstOpen = period + 1n;
      if (status === CONFIRMED || status === PENDING) continue;
      const manifest = await deriveAnnouncement(this._source, period);
      const root = announcementRoot(manifest.entries);
      if (status === REJECTED && root === current.root.toLowerCase()) {
        if (!this._stuck.has(`${period}:${root}`))
          this._log.error(
            { period: period.toString(), root },
            "the members rejected this announcement and it derives the same again",
          );
        this._stuck.add(`${period}:${root}`);
        continue;
      }
      const { cid } = await this._store.put(Buffer.from(JSON.stringify(manifest)));
      await this._chain.publishAnnouncement(period, root, manifest.entries.length, cid);
      this._log.info(
        { period: period.toString(), entries: manifest.entries.length, root, cid },
        "announcement published",
      );
    }
  }
}

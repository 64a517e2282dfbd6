import type { ChainAdapter } from "../chain/chainAdapter";
import type { EvidenceStore } from "../store/evidenceStore";
import { DomainError } from "../errors";
import { announcementTree, parseAnnouncementManifest, type AnnouncementManifest } from "./announcement";

export const ANNOUNCEMENT_STATUS = ["none", "pending", "confirmed", "rejected"] as const;

export interface PublishedAnnouncement {
  period: string;
  status: (typeof ANNOUNCEMENT_STATUS)[number];
  root: string;
  entryCount: number;
  manifestCid: string;
  start: number;
  end: number;
  attestations: { valid: string[]; invalid: string[] };
}

/**
 * Announcements as the chain has them, with their manifests from the store and a proof per entry.
 * A convenience: anyone checks an entry against the root on chain (aidproof announcements verify).
 */
export class AnnouncementService {
  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _store: EvidenceStore,
    private readonly _deploymentBlock: number,
  ) {}

  /** Every published period's announcement, newest first. */
  async list(): Promise<PublishedAnnouncement[]> {
    const registry = this._chain.announcementRegistry;
    const logs = await registry.queryFilter(registry.filters.AnnouncementPublished(), this._deploymentBlock, "latest");
    const periods = [...new Set(logs.map((l) => l.args.period))].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    return Promise.all(periods.map((p) => this._published(p)));
  }

  /** One period's announcement with its entries, each with its proof against the anchored root. */
  async get(period: bigint) {
    const published = await this._published(period);
    const manifest = await this._manifest(published.manifestCid);
    const tree = announcementTree(manifest.entries);
    return {
      ...published,
      manifest: { ...manifest, entries: undefined },
      entries: manifest.entries.map((entry, i) => ({ entry, proof: tree ? tree.getProof(i) : [] })),
    };
  }

  private async _published(period: bigint): Promise<PublishedAnnouncement> {
    const registry = this._chain.announcementRegistry;
    const a = await registry.announcement(period);
    if (Number(a.status) === 0)
      throw new DomainError("ANNOUNCEMENT_NOT_FOUND", `period ${period} has no announcement`, {
        period: period.toString(),
      });
    const [bounds, attestations] = await Promise.all([registry.periodBounds(period), registry.attestations(period)]);
    const logs = await registry.queryFilter(
      registry.filters.AnnouncementPublished(period, a.root),
      this._deploymentBlock,
      "latest",
    );
    const event = logs[logs.length - 1];
    return {
      period: period.toString(),
      status: ANNOUNCEMENT_STATUS[Number(a.status)],
      root: a.root,
      entryCount: Number(a.entryCount),
      manifestCid: event.args.manifestCid,
      start: Number(bounds[0]),
      end: Number(bounds[1]),
      attestations: { valid: [...attestations[0]], invalid: [...attestations[1]] },
    };
  }

  private async _manifest(cid: string): Promise<AnnouncementManifest> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this._store.get(cid)) parts.push(chunk);
    return parseAnnouncementManifest(Buffer.concat(parts));
  }
}

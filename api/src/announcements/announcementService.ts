import { keccak256, toUtf8Bytes } from "ethers";
import { onChain, type ChainAdapter } from "../chain/chainAdapter";
import { inRanges } from "../chain/logRanges";
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
    return onChain(async () => {
      const periods = new Set((await this._publications()).map((log) => log.args.period));
      const newestFirst = [...periods].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
      return Promise.all(newestFirst.map((p) => this._published(p)));
    });
  }

  /** One period's announcement with its entries, each with its proof against the anchored root. */
  async get(period: bigint) {
    const published = await onChain(() => this._published(period));
    const manifest = await this._manifest(published.manifestCid);
    const tree = announcementTree(manifest.entries);
    return {
      ...published,
      manifest: { ...manifest, entries: undefined },
      entries: manifest.entries.map((entry, i) => ({ entry, proof: tree ? tree.getProof(i) : [] })),
    };
  }

  private async _publications(period?: bigint) {
    const registry = this._chain.announcementRegistry;
    const head = await this._chain.provider.getBlockNumber();
    return inRanges(
      this._deploymentBlock,
      "latest",
      (from, to) => registry.queryFilter(registry.filters.AnnouncementPublished(period), from, to),
      head,
    );
  }

  private async _published(period: bigint): Promise<PublishedAnnouncement> {
    const registry = this._chain.announcementRegistry;
    const a = await registry.announcement(period);
    const notFound = () =>
      new DomainError("ANNOUNCEMENT_NOT_FOUND", `period ${period} has no announcement`, { period: period.toString() });
    if (Number(a.status) === 0) throw notFound();
    // The event of the current publication: the one whose CID is the anchored one.
    const event = (await this._publications(period))
      .reverse()
      .find((log) => log.args.root === a.root && keccak256(toUtf8Bytes(log.args.manifestCid)) === a.manifestCidHash);
    if (!event) throw notFound();
    const [bounds, attestations] = await Promise.all([registry.periodBounds(period), registry.attestations(period)]);
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

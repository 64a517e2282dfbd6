import { keccak256, toUtf8Bytes, type Provider } from "ethers";
import { AnnouncementRegistry__factory } from "../../../typechain-types";
import type { ContractAddresses } from "../config";
import { DomainError } from "../errors";
import { cachedFetch, evidenceItemCounter, type EvidenceSetSource } from "../evidence/evidenceSet";
import { ContentTooLargeError, InvalidCidError } from "../store/errors";
import {
  announcementRoot,
  compareAnnouncements,
  deriveAnnouncement,
  parseAnnouncementManifest,
} from "../announcements/announcement";

export interface AnnouncementVerdict {
  valid: boolean;
  problems: string[];
}

/** The published manifest cannot be fetched now: judged missing once the give-up time has passed. */
export class ManifestUnreachable extends Error {}

/** Content by CID, verified, at most `maxBytes`; throws while it cannot be fetched. */
export type BytesFetcher = (cid: string, maxBytes: number) => Promise<Uint8Array>;

const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

/**
 * A validator's judgement of a period's announcement: it derives the announcement itself from chain
 * events (api/src/announcements/announcement.ts, evidence sets recomputed from the manifests) and
 * finds the published one valid only if the manifest is the anchored one, gives the anchored root
 * and count, and equals the derivation entry for entry. An omitted claim, an added one or a changed
 * field each make it invalid, named in the problems.
 */
export class AnnouncementJudge {
  private readonly _evidenceSets: EvidenceSetSource;

  constructor(
    private readonly _provider: Provider,
    private readonly _addresses: ContractAddresses,
    private readonly _chainId: bigint,
    private readonly _fromBlock: number,
    private readonly _fetch: BytesFetcher,
  ) {
    this._evidenceSets = {
      provider: _provider,
      contracts: _addresses,
      deploymentBlock: _fromBlock,
      fetch: cachedFetch((cid) => _fetch(cid, MAX_MANIFEST_BYTES)),
    };
  }

  /** Throws when something cannot be checked now (the RPC, content not reachable yet). */
  async judge(period: bigint, root: string, manifestCid: string): Promise<AnnouncementVerdict> {
    const registry = AnnouncementRegistry__factory.connect(this._addresses.announcementRegistry, this._provider);
    const anchored = await registry.announcement(period);
    if (anchored.manifestCidHash !== keccak256(toUtf8Bytes(manifestCid)))
      return { valid: false, problems: ["the manifest CID is not the anchored one"] };
    let bytes: Uint8Array;
    try {
      bytes = await this._fetch(manifestCid, MAX_MANIFEST_BYTES);
    } catch (error) {
      if (error instanceof InvalidCidError || error instanceof ContentTooLargeError)
        return { valid: false, problems: [`manifest: ${error.message}`] };
      throw new ManifestUnreachable(
        `manifest ${manifestCid} not reachable now: ${error instanceof Error ? error.message : error}`,
      );
    }
    let published;
    try {
      published = parseAnnouncementManifest(bytes);
    } catch (error) {
      if (error instanceof DomainError && error.code === "MALFORMED_ANNOUNCEMENT")
        return { valid: false, problems: [error.message] };
      throw error;
    }
    const problems: string[] = [];
    const publishedRoot = announcementRoot(published.entries);
    if (publishedRoot !== root.toLowerCase()) problems.push("the manifest's entries do not give the anchored root");
    if (published.entries.length !== Number(anchored.entryCount))
      problems.push(`the manifest has ${published.entries.length} entries, the anchor says ${anchored.entryCount}`);

    const derived = await deriveAnnouncement(
      {
        provider: this._provider,
        chainId: this._chainId,
        contracts: this._addresses,
        deploymentBlock: this._fromBlock,
        evidenceItemCount: evidenceItemCounter(this._evidenceSets),
      },
      period,
    );
    problems.push(...compareAnnouncements(published, derived));
    return { valid: problems.length === 0, problems };
  }
}

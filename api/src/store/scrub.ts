import { blockMatches, type CID } from "./blocks";
import { childLinks } from "./dag";
import type { FsBackend } from "./fsBackend";
import { ipfsModules } from "./ipfsModules";

/** Somewhere a good copy of a block may be: answers its bytes (unverified) or undefined. */
export interface RepairSource {
  name: string;
  getBlock(cid: CID): Promise<Uint8Array | undefined>;
}

export interface ScrubProgress {
  pinsDone: number;
  pins: number;
  blocksChecked: number;
}

export interface ScrubReport {
  pins: number;
  blocksChecked: number;
  /** Blocks whose stored bytes did not hash to their CID. */
  corrupt: string[];
  /** Blocks a pinned DAG links to that are not stored. */
  missing: string[];
  /** Of those, the ones rewritten from a verified copy. */
  repaired: string[];
  /** Of those, the ones no source had: the store still lacks a good copy (their subtrees unchecked). */
  unrepaired: string[];
}

/**
 * Walks every pinned DAG of the embedded store and re-hashes every block (each once, however many
 * DAGs share it). A block that is corrupt or missing is fetched from the repair sources in turn; a
 * fetched copy is written only if it hashes to the CID, and the walk then continues below it.
 */
export async function scrub(
  backend: FsBackend,
  sources: RepairSource[],
  onProgress: (progress: ScrubProgress) => void = () => undefined,
): Promise<ScrubReport> {
  const m = await ipfsModules();
  const pins = backend.pinnedCids();
  const report: ScrubReport = {
    pins: pins.length,
    blocksChecked: 0,
    corrupt: [],
    missing: [],
    repaired: [],
    unrepaired: [],
  };
  const seen = new Set<string>();

  const repaired = async (cid: CID): Promise<Uint8Array | undefined> => {
    for (const source of sources) {
      const bytes = await source.getBlock(cid).catch(() => undefined);
      if (bytes && blockMatches(cid, bytes)) {
        await backend.putBlock(cid, bytes);
        return bytes;
      }
    }
    return undefined;
  };

  for (const [index, pin] of pins.entries()) {
    const stack: CID[] = [m.cid.CID.parse(pin)];
    while (stack.length > 0) {
      const cid = stack.pop()!;
      const key = cid.toString();
      if (seen.has(key)) continue;
      seen.add(key);
      report.blocksChecked += 1;
      let bytes = await backend.getBlock(cid);
      if (!bytes || !blockMatches(cid, bytes)) {
        (bytes ? report.corrupt : report.missing).push(key);
        bytes = await repaired(cid);
        (bytes ? report.repaired : report.unrepaired).push(key);
        if (!bytes) continue;
      }
      const links = childLinks(m, { cid, bytes });
      for (let i = links.length - 1; i >= 0; --i) stack.push(links[i]);
      onProgress({ pinsDone: index, pins: pins.length, blocksChecked: report.blocksChecked });
    }
  }
  onProgress({ pinsDone: pins.length, pins: pins.length, blocksChecked: report.blocksChecked });
  return report;
}

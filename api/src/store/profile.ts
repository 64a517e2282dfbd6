import type { IpfsModules } from "./ipfsModules";

/**
 * The CID profile (IPIP-499 `unixfs-v1-2025`): CIDv1, raw leaves, fixed 1 MiB chunks, balanced DAG with
 * at most 1024 links per node. Passed explicitly: @helia/unixfs ignores `profile` when defaults are set.
 */
export const CID_PROFILE = {
  name: "unixfs-v1-2025",
  cidVersion: 1,
  rawLeaves: true,
  chunkSize: 1024 * 1024,
  maxChildrenPerNode: 1024,
} as const;

export function importerOptions(m: Pick<IpfsModules, "chunker" | "layout">) {
  return {
    cidVersion: CID_PROFILE.cidVersion,
    rawLeaves: CID_PROFILE.rawLeaves,
    reduceSingleLeafToSelf: true,
    chunker: m.chunker.fixedSize({ chunkSize: CID_PROFILE.chunkSize }),
    layout: m.layout.balanced({ maxChildrenPerNode: CID_PROFILE.maxChildrenPerNode }),
  };
}

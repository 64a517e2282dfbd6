import { createHash } from "node:crypto";
import type { CID } from "multiformats/cid" with { "resolution-mode": "import" };
import { BlockMismatchError } from "./errors";

export type { CID };

const SHA2_256 = 0x12;
const IDENTITY = 0x00;

/**
 * Where blocks live: the embedded filesystem blockstore or a Kubo node. Implementations move bytes
 * and nothing else; {@link verifiedBlock} is applied to everything they return.
 */
export interface BlockBackend {
  /** A name for error messages (which clients may see): "the embedded store", or the node URL. */
  readonly source: string;
  /** The block's bytes, or undefined when the backend does not have it. Unverified. */
  getBlock(cid: CID): Promise<Uint8Array | undefined>;
  putBlock(cid: CID, bytes: Uint8Array): Promise<void>;
  /** Stores a block that is a whole DAG by itself, then pins it (one transaction where the backend can). */
  putPinnedBlock(cid: CID, bytes: Uint8Array): Promise<void>;
  hasBlock(cid: CID): Promise<boolean>;
  pin(cid: CID): Promise<void>;
  unpin(cid: CID): Promise<void>;
  isPinned(cid: CID): Promise<boolean>;
  close(): Promise<void>;
}

/** Whether `bytes` hash to `cid`'s multihash (SHA-256 or identity; other hashes are refused). */
export function blockMatches(cid: CID, bytes: Uint8Array): boolean {
  const { code, digest } = cid.multihash;
  if (code === IDENTITY) return Buffer.compare(Buffer.from(digest), Buffer.from(bytes)) === 0;
  if (code !== SHA2_256) return false;
  return createHash("sha256").update(bytes).digest().equals(digest);
}

/** Returns `bytes` if they hash to `cid`, else throws {@link BlockMismatchError} naming `source`. */
export function verifiedBlock(cid: CID, bytes: Uint8Array, source: string): Uint8Array {
  if (!blockMatches(cid, bytes)) throw new BlockMismatchError(cid.toString(), source);
  return bytes;
}

export async function concatChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/**
 * What a verifier recomputes from a file's bytes, in Node and in a browser alike: the SHA-256 (Web
 * Crypto) and the UnixFS CID under the unixfs-v1-2025 profile (the store's own importer options).
 */
import { importerOptions } from "../store/profile";

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // A copy into a plain ArrayBuffer: Web Crypto takes no view of a shared buffer.
  return `0x${hex(await globalThis.crypto.subtle.digest("SHA-256", new Uint8Array(bytes)))}`;
}

/** The CIDv1 (base32) the profile gives these bytes, computed without storing anything. */
export async function unixfsCid(bytes: Uint8Array): Promise<string> {
  const [{ importer }, chunker, layout] = await Promise.all([
    import("ipfs-unixfs-importer"),
    import("ipfs-unixfs-importer/chunker"),
    import("ipfs-unixfs-importer/layout"),
  ]);
  const discard = { put: async (cid: unknown) => cid };
  let root: { toString(): string } | undefined;
  for await (const entry of importer([{ content: bytes }], discard as never, importerOptions({ chunker, layout })))
    root = entry.cid;
  if (!root) throw new Error("the importer gave no root");
  return root.toString();
}

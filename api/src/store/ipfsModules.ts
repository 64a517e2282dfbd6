/**
 * The IPFS libraries are ESM-only. This CommonJS build loads them with a real dynamic import()
 * (tsconfig "module": "node16" keeps import() as is), once, on first use.
 */
async function load() {
  const [unixfs, base32, chunker, layout, car, dagPb, raw, cid, sha2, digest, ipfsUnixfs] = await Promise.all([
    import("@helia/unixfs"),
    import("multiformats/bases/base32"),
    import("ipfs-unixfs-importer/chunker"),
    import("ipfs-unixfs-importer/layout"),
    import("@ipld/car"),
    import("@ipld/dag-pb"),
    import("multiformats/codecs/raw"),
    import("multiformats/cid"),
    import("multiformats/hashes/sha2"),
    import("multiformats/hashes/digest"),
    import("ipfs-unixfs"),
  ]);
  return { unixfs, base32, chunker, layout, car, dagPb, raw, cid, sha2, digest, ipfsUnixfs };
}

export type IpfsModules = Awaited<ReturnType<typeof load>>;

let loading: Promise<IpfsModules> | undefined;

export function ipfsModules(): Promise<IpfsModules> {
  loading ??= load();
  return loading;
}

import { verifiedBlock, type CID } from "./blocks";
import { childLinks, fileData } from "./dag";
import { ContentNotFoundError, ContentTooLargeError, GatewayResponseError, InvalidCidError } from "./errors";
import { ipfsModules } from "./ipfsModules";

export interface FetchVerifiedOptions {
  /** Stop (and fail) past this many file bytes. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Fetches a file by CID from a trustless gateway (this project's `/ipfs/{cid}`, or a Kubo node's
 * gateway) as a depth-first CAR with duplicates, and streams its bytes. Every block must be the one
 * the DAG says comes next and must hash to its CID; otherwise the stream fails with an error naming
 * the gateway and the block. Nothing from the gateway is trusted.
 */
export async function* fetchVerified(
  gatewayUrl: string,
  cid: string,
  options: FetchVerifiedOptions = {},
): AsyncGenerator<Uint8Array> {
  const m = await ipfsModules();
  let root: CID;
  try {
    root = m.cid.CID.parse(cid);
  } catch (error) {
    throw new InvalidCidError(cid, error instanceof Error ? error.message : String(error));
  }
  const source = new URL(`/ipfs/${root.toString()}?format=car&dups=y&order=dfs`, gatewayUrl).toString();
  const response = await fetch(source, {
    headers: { accept: "application/vnd.ipld.car; version=1; order=dfs; dups=y" },
    signal: options.signal,
  });
  if (response.status === 404) throw new ContentNotFoundError(cid);
  if (!response.ok || !response.body) throw new GatewayResponseError(source, `HTTP ${response.status}`);

  const blocks = await m.car.CarBlockIterator.fromIterable(response.body as AsyncIterable<Uint8Array>);
  const roots = await blocks.getRoots();
  if (roots.length !== 1 || !roots[0].equals(root)) throw new GatewayResponseError(source, "CAR roots do not match");

  const expected: CID[] = [root];
  let size = 0;
  for await (const block of blocks) {
    const next = expected.pop();
    if (!next) throw new GatewayResponseError(source, `unexpected extra block ${block.cid.toString()}`);
    const got = block.cid.toString();
    if (got !== next.toString())
      throw new GatewayResponseError(source, `expected block ${next.toString()}, got ${got}`);
    verifiedBlock(next, block.bytes, source);
    const links = childLinks(m, { cid: next, bytes: block.bytes });
    for (let i = links.length - 1; i >= 0; --i) expected.push(links[i]);
    const data = fileData(m, { cid: next, bytes: block.bytes });
    if (data) {
      size += data.length;
      if (options.maxBytes !== undefined && size > options.maxBytes) throw new ContentTooLargeError(options.maxBytes);
      yield data;
    }
  }
  if (expected.length > 0) throw new GatewayResponseError(source, `truncated: ${expected.length} block(s) missing`);
}

/**
 * One block from a trustless gateway (`?format=raw`), or undefined when the gateway does not have it.
 * Unverified: the caller checks it against its CID.
 */
/** The whole of {@link fetchVerified}, at most `maxBytes`: for documents (manifests, reasons). */
export async function fetchVerifiedBytes(gatewayUrl: string, cid: string, maxBytes: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of fetchVerified(gatewayUrl, cid, { maxBytes })) parts.push(chunk);
  return Buffer.concat(parts);
}

export async function fetchBlock(gatewayUrl: string, cid: CID, signal?: AbortSignal): Promise<Uint8Array | undefined> {
  const source = new URL(`/ipfs/${cid.toString()}?format=raw`, gatewayUrl).toString();
  const response = await fetch(source, { headers: { accept: "application/vnd.ipld.raw" }, signal });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new GatewayResponseError(source, `HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

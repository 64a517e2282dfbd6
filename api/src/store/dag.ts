import type { CID } from "./blocks";
import type { IpfsModules } from "./ipfsModules";

const DAG_PB = 0x70;
const RAW = 0x55;

export interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** The child links of a block: dag-pb links in order; none for raw leaves. */
export function childLinks(m: IpfsModules, block: Block): CID[] {
  if (block.cid.code === RAW) return [];
  if (block.cid.code !== DAG_PB) throw new Error(`unsupported codec 0x${block.cid.code.toString(16)}`);
  return m.dagPb.decode(block.bytes).Links.map((link) => link.Hash);
}

/**
 * The file bytes a block carries: a raw leaf's bytes, or the data inlined in a dag-pb UnixFS node
 * (none in this project's profile, but other importers inline leaf data).
 */
export function fileData(m: IpfsModules, block: Block): Uint8Array | undefined {
  if (block.cid.code === RAW) return block.bytes;
  const node = m.dagPb.decode(block.bytes);
  if (!node.Data) return undefined;
  const data = m.ipfsUnixfs.UnixFS.unmarshal(node.Data).data;
  return data && data.length > 0 ? data : undefined;
}

/**
 * Depth-first pre-order walk of a DAG: the order of a trustless gateway's `order=dfs` CAR, with
 * duplicates (`dups=y`), so a reader can check every block against the CID it expects next.
 */
export async function* walkDag(
  m: IpfsModules,
  root: CID,
  getBlock: (cid: CID) => Promise<Uint8Array>,
): AsyncGenerator<Block> {
  const stack: CID[] = [root];
  while (stack.length > 0) {
    const cid = stack.pop()!;
    const block = { cid, bytes: await getBlock(cid) };
    yield block;
    const links = childLinks(m, block);
    for (let i = links.length - 1; i >= 0; --i) stack.push(links[i]);
  }
}

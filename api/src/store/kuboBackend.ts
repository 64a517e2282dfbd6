import type { KuboRPCClient } from "kubo-rpc-client" with { "resolution-mode": "import" };
import { DomainError } from "../errors";
import type { BlockBackend, CID } from "./blocks";

const DAG_PB = 0x70;

export interface KuboBackendOptions {
  /** How long to wait for a block the node may be looking for elsewhere. */
  timeoutMs: number;
}

/**
 * A Kubo node (or anything speaking the Kubo RPC API) over kubo-rpc-client. The node stores and pins;
 * it is trusted for nothing: the {@link EvidenceStore} verifies every block it returns.
 */
export class KuboBackend implements BlockBackend {
  private _client: Promise<KuboRPCClient> | undefined;

  constructor(
    readonly source: string,
    private readonly _options: KuboBackendOptions = { timeoutMs: 5_000 },
  ) {}

  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    const client = await this._connect();
    try {
      return await client.block.get(cid, { timeout: this._options.timeoutMs });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this._unavailable(error);
    }
  }

  async putBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    const client = await this._connect();
    const put = () =>
      client.block.put(bytes, { format: cid.code === DAG_PB ? "dag-pb" : "raw", mhtype: "sha2-256", version: 1 });
    let stored: CID;
    try {
      // Once more on failure: a put is idempotent, and a node under load (js-ipfs in CI) has been seen
      // to answer one of a long run of puts with a garbled body.
      stored = await put().catch(put);
    } catch (error) {
      throw this._unavailable(error);
    }
    const storedAs = stored.toString();
    if (storedAs !== cid.toString()) {
      throw new DomainError("STORE_UNAVAILABLE", `${this.source} stored ${cid.toString()} as ${storedAs}`);
    }
  }

  async hasBlock(cid: CID): Promise<boolean> {
    const client = await this._connect();
    try {
      // `offline` makes Kubo answer from its own repo at once instead of searching the network.
      await client.block.stat(cid, { offline: true, timeout: this._options.timeoutMs } as never);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw this._unavailable(error);
    }
  }

  async putPinnedBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    await this.putBlock(cid, bytes);
    await this.pin(cid);
  }

  async pin(cid: CID): Promise<void> {
    const client = await this._connect();
    await client.pin.add(cid, { recursive: true, timeout: this._options.timeoutMs });
  }

  async unpin(cid: CID): Promise<void> {
    if (!(await this.isPinned(cid))) return;
    const client = await this._connect();
    await client.pin.rm(cid, { recursive: true });
  }

  async isPinned(cid: CID): Promise<boolean> {
    const client = await this._connect();
    try {
      for await (const pin of client.pin.ls({ paths: [cid] })) if (pin.cid.equals(cid)) return true;
      return false;
    } catch (error) {
      if (/not pinned/i.test(String(error))) return false;
      throw this._unavailable(error);
    }
  }

  async close(): Promise<void> {
    this._client = undefined;
  }

  private _connect(): Promise<KuboRPCClient> {
    this._client ??= import("kubo-rpc-client").then(({ create }) => create({ url: this.source }));
    return this._client;
  }

  private _unavailable(error: unknown): DomainError {
    return new DomainError("STORE_UNAVAILABLE", `${this.source}: ${error instanceof Error ? error.message : error}`);
  }
}

/** Kubo says "not found" offline; a node still searching the network times out. */
function isNotFound(error: unknown): boolean {
  return /not found|timed out|TimeoutError/i.test(
    String(error instanceof Error ? `${error.name} ${error.message}` : error),
  );
}

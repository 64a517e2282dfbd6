import { createHash } from "node:crypto";
import { ContentNotFoundError, ContentTooLargeError, InvalidCidError } from "./errors";
import { verifiedBlock, type BlockBackend, type CID } from "./blocks";
import { ipfsModules, type IpfsModules } from "./ipfsModules";
import { CID_PROFILE, importerOptions } from "./profile";
import { StagingBlockstore } from "./staging";
import { fileData, walkDag } from "./dag";

export interface PutResult {
  /** CIDv1 (base32) of the UnixFS DAG. */
  cid: string;
  /** Hex SHA-256 of the bytes put. */
  sha256: string;
  size: number;
}

export interface PutOptions {
  /** Overrides the store's size limit for this put. */
  maxBytes?: number;
  signal?: AbortSignal;
  /**
   * Runs after the whole content was read and hashed, before anything is committed: throwing here
   * (say, the SHA-256 differs from the signed one) leaves the store untouched.
   */
  beforeCommit?: (result: PutResult) => void | Promise<void>;
}

export interface EvidenceStoreOptions {
  /** Where imports stage their blocks before they are committed. */
  stagingDir: string;
  /** Largest content `put` accepts, in bytes. */
  maxBytes: number;
}

export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * IPFS evidence store over a {@link BlockBackend}: imports with the fixed CID profile, commits only
 * whole DAGs, and verifies every block it reads against its CID, whatever the backend.
 */
export class EvidenceStore {
  private constructor(
    private readonly _m: IpfsModules,
    readonly backend: BlockBackend,
    private readonly _options: EvidenceStoreOptions,
  ) {}

  static async create(backend: BlockBackend, options: EvidenceStoreOptions): Promise<EvidenceStore> {
    return new EvidenceStore(await ipfsModules(), backend, options);
  }

  /** Imports `source`, commits its blocks and pins the root. Over the limit: nothing is stored. */
  async put(source: ByteSource, options: PutOptions = {}): Promise<PutResult> {
    const limit = options.maxBytes ?? this._options.maxBytes;
    const hash = createHash("sha256");
    let size = 0;
    const input = (async function* () {
      yield* source instanceof Uint8Array ? [source] : source;
    })();
    const next = async (): Promise<Uint8Array | undefined> => {
      const { value, done } = await input.next();
      if (done) return undefined;
      size += value.length;
      if (size > limit) throw new ContentTooLargeError(limit);
      hash.update(value);
      return value;
    };

    // Up to one chunk is read first: content that fits in it is a single raw block whose CID is the
    // SHA-256 already computed (what the importer would produce, without its pipeline per upload).
    const head: Uint8Array[] = [];
    let headBytes = 0;
    let chunk: Uint8Array | undefined;
    while (headBytes <= CID_PROFILE.chunkSize && (chunk = await next())) {
      head.push(chunk);
      headBytes += chunk.length;
    }
    if (!chunk) return this._putSingleBlock(Buffer.concat(head), hash.digest(), options);

    const rest = async function* () {
      yield* head;
      for (let c = await next(); c; c = await next()) yield c;
    };
    const staging = new StagingBlockstore(this._options.stagingDir);
    try {
      const fs = this._m.unixfs.unixfs({ blockstore: staging });
      const cid = await fs.addByteStream(rest(), { ...importerOptions(this._m), signal: options.signal });
      const result = { cid: cid.toString(), sha256: hash.digest("hex"), size };
      await options.beforeCommit?.(result);
      await staging.commitTo(this.backend);
      await this.backend.pin(cid);
      return result;
    } finally {
      await staging.discard();
    }
  }

  private async _putSingleBlock(bytes: Buffer, sha256: Buffer, options: PutOptions): Promise<PutResult> {
    const cid = this._m.cid.CID.createV1(this._m.raw.code, this._m.digest.create(this._m.sha2.sha256.code, sha256));
    const result = { cid: cid.toString(), sha256: sha256.toString("hex"), size: bytes.length };
    await options.beforeCommit?.(result);
    await this.backend.putPinnedBlock(cid, bytes);
    return result;
  }

  /**
   * Streams the file's bytes; every block is verified against its CID before its bytes are released.
   * A depth-first walk, one block at a time: ipfs-unixfs-exporter (behind @helia/unixfs `cat`) queues
   * prefetched blocks without backpressure, so a slow reader of a 200 MB file would hold most of it.
   */
  async *get(cid: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Uint8Array> {
    const root = this.parseCid(cid);
    for await (const block of walkDag(this._m, root, (c) => this._getVerified(c))) {
      options.signal?.throwIfAborted();
      const data = fileData(this._m, block);
      if (data) yield data;
    }
  }

  /** One block, verified. */
  async getBlock(cid: string): Promise<Uint8Array> {
    return this._getVerified(this.parseCid(cid));
  }

  async has(cid: string): Promise<boolean> {
    return this.backend.hasBlock(this.parseCid(cid));
  }

  async pin(cid: string): Promise<void> {
    const root = this.parseCid(cid);
    if (!(await this.backend.hasBlock(root))) throw new ContentNotFoundError(cid);
    await this.backend.pin(root);
  }

  async unpin(cid: string): Promise<void> {
    await this.backend.unpin(this.parseCid(cid));
  }

  isPinned(cid: string): Promise<boolean> {
    return this.backend.isPinned(this.parseCid(cid));
  }

  /**
   * The whole DAG as a CARv1 stream, blocks verified, in depth-first order with duplicates
   * (trustless gateway `order=dfs; dups=y`). The root block is read before the first byte goes out,
   * so a missing root fails cleanly.
   */
  async exportCar(cid: string): Promise<AsyncIterable<Uint8Array>> {
    const root = this.parseCid(cid);
    const rootBytes = await this._getVerified(root);
    const { writer, out } = this._m.car.CarWriter.create([root]);
    const getBlock = (c: CID) => (c.equals(root) ? Promise.resolve(rootBytes) : this._getVerified(c));
    const produce = async () => {
      try {
        for await (const block of walkDag(this._m, root, getBlock)) await writer.put(block);
      } finally {
        await writer.close();
      }
    };
    const producing = produce();
    producing.catch(() => undefined); // surfaced to the consumer below
    return (async function* () {
      yield* out;
      await producing;
    })();
  }

  parseCid(cid: string): CID {
    try {
      return this._m.cid.CID.parse(cid);
    } catch (error) {
      throw new InvalidCidError(cid, error instanceof Error ? error.message : String(error));
    }
  }

  async close(): Promise<void> {
    await this.backend.close();
  }

  private async _getVerified(cid: CID): Promise<Uint8Array> {
    const bytes = await this.backend.getBlock(cid);
    if (!bytes) throw new ContentNotFoundError(cid.toString());
    return verifiedBlock(cid, bytes, this.backend.source);
  }
}

import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { concatChunks, type BlockBackend, type CID } from "./blocks";

/** Blocks held in memory before staging spills to disk: a 10 KB file never touches the staging dir. */
const MEMORY_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * A blockstore for one import: blocks stay here until the import succeeded, then move to the
 * backend leaves-first (so a root is never stored before its children) and the root is pinned.
 * A failed import (over the size limit, a broken stream) is discarded whole: nothing of it reaches
 * the backend.
 */
export class StagingBlockstore {
  private readonly _memory = new Map<string, Uint8Array>();
  private readonly _order: CID[] = [];
  private readonly _keys = new Set<string>();
  private _memoryBytes = 0;
  private _diskDir: Promise<string> | undefined;

  constructor(private readonly _stagingRoot: string) {}

  async put(cid: CID, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<CID> {
    const key = cid.toString();
    if (this._keys.has(key)) return cid;
    const block = bytes instanceof Uint8Array ? bytes : await concatChunks(bytes);
    if (this._memoryBytes + block.length <= MEMORY_LIMIT_BYTES) {
      this._memory.set(key, block);
      this._memoryBytes += block.length;
    } else {
      await writeFile(join(await this._disk(), key), block);
    }
    this._order.push(cid);
    this._keys.add(key);
    return cid;
  }

  async *get(cid: CID): AsyncGenerator<Uint8Array> {
    yield await this._read(cid);
  }

  async has(cid: CID): Promise<boolean> {
    return this._keys.has(cid.toString());
  }

  /** Moves every staged block to `backend` in import order (children before parents). */
  async commitTo(backend: BlockBackend): Promise<void> {
    for (const cid of this._order) await backend.putBlock(cid, await this._read(cid));
  }

  async discard(): Promise<void> {
    this._memory.clear();
    this._order.length = 0;
    this._keys.clear();
    if (this._diskDir) await rm(await this._diskDir, { recursive: true, force: true });
  }

  private async _read(cid: CID): Promise<Uint8Array> {
    const key = cid.toString();
    return this._memory.get(key) ?? readFile(join(await this._disk(), key));
  }

  private _disk(): Promise<string> {
    if (!this._diskDir) {
      const dir = join(this._stagingRoot, randomUUID());
      this._diskDir = mkdir(dir, { recursive: true }).then(() => dir);
    }
    return this._diskDir;
  }
}

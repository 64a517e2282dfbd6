import { mkdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { FsBlockstore } from "blockstore-fs" with { "resolution-mode": "import" };
import { concatChunks, type BlockBackend, type CID } from "./blocks";
import { ipfsModules } from "./ipfsModules";

/**
 * The embedded backend: blocks in a blockstore-fs directory (written atomically: temp file + rename),
 * pins as one empty file per pinned root. Survives restarts; needs no daemon.
 */
export class FsBackend implements BlockBackend {
  private constructor(
    readonly source: string,
    private readonly _blocks: FsBlockstore,
    private readonly _pinDir: string,
  ) {}

  static async open(directory: string): Promise<FsBackend> {
    const { blockstoreFs } = await ipfsModules();
    const blocks = new blockstoreFs.FsBlockstore(join(directory, "blocks"));
    await blocks.open();
    const pinDir = join(directory, "pins");
    await mkdir(pinDir, { recursive: true });
    return new FsBackend(directory, blocks, pinDir);
  }

  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    if (!(await this._blocks.has(cid))) return undefined;
    return concatChunks(this._blocks.get(cid));
  }

  async putBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    await this._blocks.put(cid, bytes);
  }

  hasBlock(cid: CID): Promise<boolean> {
    return this._blocks.has(cid);
  }

  async pin(cid: CID): Promise<void> {
    const temp = join(this._pinDir, `.${randomUUID()}`);
    await writeFile(temp, "");
    await rename(temp, this._pinPath(cid));
  }

  async unpin(cid: CID): Promise<void> {
    await unlink(this._pinPath(cid)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  async isPinned(cid: CID): Promise<boolean> {
    return stat(this._pinPath(cid)).then(
      () => true,
      () => false,
    );
  }

  async close(): Promise<void> {
    await this._blocks.close();
  }

  private _pinPath(cid: CID): string {
    return join(this._pinDir, cid.toString());
  }
}

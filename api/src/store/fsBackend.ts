import type Database from "better-sqlite3";
import { mkdir, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { randomUUID } from "node:crypto";
import { dirname, join } from "node:path";
import { openDurableDatabase, type DurableDatabase } from "../db/durableDatabase";
import { blockMatches, type BlockBackend, type CID } from "./blocks";
import { ipfsModules, type IpfsModules } from "./ipfsModules";

/** Blocks up to this size live in the SQLite file; larger ones (file chunks) are files. */
export const SMALL_BLOCK_BYTES = 64 * 1024;
const TEMP_DIR = ".incoming";

const SCHEMA = `
  -- A rowid table: with 10 KB rows, a WITHOUT ROWID table costs twice the time per insert (measured).
  CREATE TABLE IF NOT EXISTS small_blocks (id INTEGER PRIMARY KEY, multihash BLOB NOT NULL UNIQUE, bytes BLOB NOT NULL);
  CREATE TABLE IF NOT EXISTS pins (cid TEXT PRIMARY KEY) WITHOUT ROWID;
`;

function statements(db: Database.Database) {
  return {
    smallBlock: db.prepare("SELECT bytes FROM small_blocks WHERE multihash = ?").pluck(),
    hasSmallBlock: db.prepare("SELECT 1 FROM small_blocks WHERE multihash = ?"),
    insertSmallBlock: db.prepare("INSERT OR IGNORE INTO small_blocks (multihash, bytes) VALUES (?, ?)"),
    replaceSmallBlock: db.prepare("UPDATE small_blocks SET bytes = ? WHERE multihash = ?"),
    pins: db.prepare("SELECT cid FROM pins ORDER BY cid").pluck(),
    pinned: db.prepare("SELECT 1 FROM pins WHERE cid = ?"),
    insertPin: db.prepare("INSERT OR IGNORE INTO pins (cid) VALUES (?)"),
    deletePin: db.prepare("DELETE FROM pins WHERE cid = ?"),
  };
}

/**
 * The embedded backend, durable before it answers. Small blocks (every 10 KB evidence file, every
 * DAG root) and pins are rows of one SQLite file (WAL, synchronous=FULL), written by group commit:
 * one fsync, off the event loop, for all the uploads of an event-loop turn; WAL checkpoints run on
 * a worker thread. Larger blocks are files in blockstore-fs's
 * layout (blocks/<next-to-last two characters>/<base32 multihash>.data), each written to a temporary
 * file, fdatasync'ed, renamed into place and its directory fsync'ed. A file and a pin per upload cost about 1.2 ms of CPU and no durability (measured in
 * docs/architecture.md, Performance); this costs about 0.1 ms and survives a power cut.
 *
 * A put of a block that is already stored re-reads the stored copy and, if it no longer hashes to
 * its CID (a flipped bit on disk), replaces it with the new bytes: uploading the content again
 * repairs it. That read costs only for duplicates.
 */
export class FsBackend implements BlockBackend {
  private readonly _knownDirs = new Set<string>();
  private readonly _sql: ReturnType<typeof statements>;

  /** Named without its path: error messages reach HTTP clients, and a path says how the host is laid out. */
  readonly source = "the embedded store";

  private constructor(
    private readonly _m: IpfsModules,
    private readonly _blocksDir: string,
    private readonly _database: DurableDatabase,
  ) {
    this._sql = statements(_database.db);
  }

  static async open(directory: string): Promise<FsBackend> {
    const blocksDir = join(directory, "blocks");
    // Half-written block files of a process that died mid-write: never renamed into place, never used.
    await rm(join(blocksDir, TEMP_DIR), { recursive: true, force: true });
    await mkdir(join(blocksDir, TEMP_DIR), { recursive: true });
    const database = openDurableDatabase(join(directory, "store.sqlite"), SCHEMA);
    return new FsBackend(await ipfsModules(), blocksDir, database);
  }

  async getBlock(cid: CID): Promise<Uint8Array | undefined> {
    const small = this._sql.smallBlock.get(cid.multihash.bytes) as Buffer | undefined;
    if (small) return small;
    return readFile(this._blockPath(cid)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
  }

  async putBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    if (bytes.length <= SMALL_BLOCK_BYTES) {
      await this._database.group.run(() => this._putSmall(cid, bytes));
      return;
    }
    const path = this._blockPath(cid);
    const directory = dirname(path);
    // Another put (or an earlier process) may have renamed it into place without syncing the directory
    // yet. A stored copy that does not match (corrupted at rest) is replaced below.
    const stored = await readFile(path).catch(() => undefined);
    if (stored && blockMatches(cid, stored)) return syncDirectory(directory);
    if (!this._knownDirs.has(directory)) {
      await mkdir(directory, { recursive: true });
      await syncDirectory(dirname(directory));
      this._knownDirs.add(directory);
    }
    const temp = join(this._blocksDir, TEMP_DIR, randomUUID());
    try {
      const handle = await open(temp, "wx");
      try {
        await handle.writeFile(bytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temp, path);
    } catch (error) {
      await unlink(temp).catch(() => undefined); // disk full is when a leftover would hurt most
      throw error;
    }
    await syncDirectory(directory);
  }

  async putPinnedBlock(cid: CID, bytes: Uint8Array): Promise<void> {
    if (bytes.length > SMALL_BLOCK_BYTES) {
      await this.putBlock(cid, bytes);
      await this.pin(cid);
      return;
    }
    // One transaction, so one commit to wait for: the path of every single-chunk upload.
    await this._database.group.run(() => {
      this._putSmall(cid, bytes);
      this._sql.insertPin.run(cid.toString());
    });
  }

  /** Inside a group transaction: inserts the row, or repairs a stored row that no longer matches. */
  private _putSmall(cid: CID, bytes: Uint8Array): void {
    if (this._sql.insertSmallBlock.run(cid.multihash.bytes, bytes).changes > 0) return;
    const stored = this._sql.smallBlock.get(cid.multihash.bytes) as Buffer;
    if (!blockMatches(cid, stored)) this._sql.replaceSmallBlock.run(bytes, cid.multihash.bytes);
  }

  async hasBlock(cid: CID): Promise<boolean> {
    return this._sql.hasSmallBlock.get(cid.multihash.bytes) !== undefined || exists(this._blockPath(cid));
  }

  async pin(cid: CID): Promise<void> {
    await this._database.group.run(() => this._sql.insertPin.run(cid.toString()));
  }

  async unpin(cid: CID): Promise<void> {
    await this._database.group.run(() => this._sql.deletePin.run(cid.toString()));
  }

  async isPinned(cid: CID): Promise<boolean> {
    return this._sql.pinned.get(cid.toString()) !== undefined;
  }

  /** Every pinned root, as stored (CID strings). */
  pinnedCids(): string[] {
    return this._sql.pins.all() as string[];
  }

  async close(): Promise<void> {
    await this._database.close();
  }

  /** blockstore-fs's default (NextToLast) layout. */
  private _blockPath(cid: CID): string {
    const key = this._m.base32.base32upper.encoder.encode(cid.multihash.bytes);
    return join(this._blocksDir, key.slice(-2), `${key}.data`);
  }
}

/** Makes a rename or a new entry in `directory` durable. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

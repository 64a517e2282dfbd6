import Database from "better-sqlite3";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Flips one bit of the small block stored (in `dataDir`'s embedded store) with exactly `bytes`. */
export function flipInRow(dataDir: string, bytes: Buffer, offset = 77): void {
  const db = new Database(join(dataDir, "ipfs", "store.sqlite"));
  try {
    const tampered = Buffer.from(bytes);
    tampered[offset] ^= 0x01;
    const changed = db.prepare("UPDATE small_blocks SET bytes = ? WHERE bytes = ?").run(tampered, bytes).changes;
    if (changed !== 1) throw new Error(`expected one row with those bytes, found ${changed}`);
  } finally {
    db.close();
  }
}

/** The block file (a large block, in `dataDir`'s embedded store) holding exactly `bytes`. */
export async function blockFile(dataDir: string, bytes: Buffer): Promise<string> {
  const entries = await readdir(join(dataDir, "ipfs", "blocks"), { recursive: true, withFileTypes: true });
  for (const entry of entries.filter((e) => e.isFile())) {
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).equals(bytes)) return path;
  }
  throw new Error("no block file with those bytes");
}

/** Flips one bit of the block file holding exactly `bytes`; returns its path. */
export async function flipInFile(dataDir: string, bytes: Buffer, offset = 12345): Promise<string> {
  const path = await blockFile(dataDir, bytes);
  const tampered = Buffer.from(bytes);
  tampered[offset] ^= 0x01;
  await writeFile(path, tampered);
  return path;
}

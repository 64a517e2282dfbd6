import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "./processes";

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`another AidProof process (pid ${pid}) is using ${dataDir}: stop it first, or use another AIDPROOF_DATA_DIR`);
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * One stack per data directory: two gateways on one outbox and chain state would each anchor the
 * other's items. The lock is a file created exclusively with the owner's pid; a lock whose owner is
 * gone (a kill -9) is stale and taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, "aidproof.lock");
  for (let attempt = 0; attempt < 2; ++attempt) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return {
        release: () => {
          if (ownerOf(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = ownerOf(path);
      if (owner !== undefined && owner !== process.pid && isAlive(owner)) throw new DataDirLockedError(dataDir, owner);
      rmSync(path, { force: true }); // stale: its owner died without releasing it
    }
  }
  throw new Error(`cannot lock ${dataDir}`);
}

/** Whether a live process holds the lock of `dataDir` (for tools that must not run beside a stack). */
export function dataDirOwner(dataDir: string): number | undefined {
  const owner = ownerOf(join(dataDir, "aidproof.lock"));
  return owner !== undefined && isAlive(owner) ? owner : undefined;
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

import { mkdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { currentRecord, isRunning, readRecord, removeRecord, writeRecord } from "./processRecord";

export const LOCK_FILE = "aidproof.lock";

/** Another live process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; owner?: unknown },
  ) {
    super(
      `data directory ${dataDir} is in use by ${String(holder.owner ?? "another process")} (pid ${holder.pid}); ` +
        "stop it first, or use another data directory",
    );
  }
}

export interface DataDirLock {
  release(): void;
}

/**
 * Takes the data directory for this process: an exclusively created `aidproof.lock` holding the
 * owner's pid, start time and name. A lock whose process is gone (killed, crashed) is stale and taken
 * over; a live one makes this throw {@link DataDirLockedError}. Released on release() or process exit.
 */
export function lockDataDir(dataDir: string, owner: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const record = { ...currentRecord(), owner };
  for (let attempt = 0; attempt < 3; ++attempt) {
    try {
      writeRecord(path, record, true);
      const release = () => removeRecord(path, record.pid);
      process.once("exit", release);
      return {
        release() {
          process.removeListener("exit", release);
          release();
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = readRecord(path);
    if (holder && isRunning(holder)) throw new DataDirLockedError(dataDir, holder);
    try {
      unlinkSync(path); // stale (or unreadable: its writer died mid-write)
    } catch {
      // another starter removed it first; the exclusive create decides
    }
  }
  throw new Error(`could not take ${path}: other processes keep replacing it`);
}

import { readFileSync, unlinkSync, writeFileSync } from "node:fs";

/**
 * A process as recorded in a file: its pid and its start time (so a reused pid is not taken for it).
 * The start time is field 22 of /proc/<pid>/stat (clock ticks since boot); where there is no /proc,
 * it is undefined and the pid alone identifies the process.
 */
export interface ProcessRecord {
  pid: number;
  startTime?: string;
}

/** The process's start time and state from /proc, or undefined when it is gone (or there is no /proc). */
function procStat(pid: number): { startTime: string; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], startTime: fields[19] };
  } catch {
    return undefined;
  }
}

export function currentRecord(pid: number = process.pid): ProcessRecord {
  return { pid, startTime: procStat(pid)?.startTime };
}

/** Whether the recorded process still runs: same pid, same start time, not a zombie. */
export function isRunning(record: ProcessRecord): boolean {
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = procStat(record.pid);
  if (!stat) return process.platform !== "linux";
  if (stat.state === "Z") return false;
  return record.startTime === undefined || record.startTime === stat.startTime;
}

/** The command line of a running process (Linux), for a last check before signalling it. */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return undefined;
  }
}

export function readRecord(path: string): (ProcessRecord & Record<string, unknown>) | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as ProcessRecord & Record<string, unknown>;
    return Number.isInteger(parsed.pid) && parsed.pid > 0 ? parsed : undefined;
  } catch {
    return undefined; // absent, or half-written by a process that died: nobody to find
  }
}

/** Writes the record; `exclusive` fails with EEXIST when the file is there. */
export function writeRecord(path: string, record: ProcessRecord & Record<string, unknown>, exclusive = false): void {
  writeFileSync(path, `${JSON.stringify(record)}\n`, { flag: exclusive ? "wx" : "w" });
}

/** Removes the file if it still records `pid` (a later owner's record is left alone). */
export function removeRecord(path: string, pid: number): void {
  if (readRecord(path)?.pid !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

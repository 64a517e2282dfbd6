import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { commandLine, currentRecord, isRunning, readRecord, removeRecord, writeRecord } from "./processRecord";

export interface ChainNode {
  rpcUrl: string;
  /** SIGTERM, then SIGKILL after a grace period; anvil dumps its state on SIGTERM. */
  stop(): Promise<void>;
  /** For outage tests: kill at once, as a crash would. */
  kill(): void;
  process: ChildProcess;
  /** The pid of an anvil an earlier, killed stack left running on this data directory, stopped at start. */
  stoppedOrphan?: number;
  /** Set when the state file was unreadable (anvil killed mid-dump) and the copy from the last start was used. */
  restoredState?: string;
}

/** How long anvil gets to dump its state after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;

/** The anvil binary from its platform package (not the npm wrapper, which would outlive a kill). */
export function anvilBinary(): string {
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return join(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, ""), "bin", "anvil");
}

/** setpriv (util-linux) on Linux, to have the kernel signal anvil when this process dies. */
function setprivPath(): string | undefined {
  if (process.platform !== "linux") return undefined;
  return (process.env.PATH ?? "")
    .split(delimiter)
    .map((dir) => join(dir, "setpriv"))
    .find((path) => existsSync(path));
}

/** Whether something accepts connections on the loopback port. */
function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (!isRunning({ pid })) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !isRunning({ pid });
}

/**
 * Stops the anvil recorded in `pidFile` if it still runs (same pid and start time, an anvil command
 * line): left by a stack that was killed where nothing could stop it. SIGTERM first, so it dumps its
 * state. Returns its pid, or undefined when there was none.
 */
async function stopOrphan(pidFile: string): Promise<number | undefined> {
  const record = readRecord(pidFile);
  if (!record || !isRunning(record) || !commandLine(record.pid)?.includes("anvil")) return undefined;
  process.kill(record.pid, "SIGTERM");
  process.kill(record.pid, "SIGCONT"); // a stopped process acts on SIGTERM only once continued
  if (!(await waitUntilGone(record.pid, STOP_GRACE_MS))) {
    process.kill(record.pid, "SIGKILL");
    await waitUntilGone(record.pid, STOP_GRACE_MS);
  }
  return record.pid;
}

/**
 * anvil writes its state file in place (truncate, then write; no rename, no fsync), so a kill during a
 * dump leaves it cut short, and anvil then refuses it. A copy of the state is kept at each start and
 * clean stop (`anvil-state.json.last-good`), and put back when the file does not parse. Returns the
 * path the bad file was moved to, if it was replaced.
 */
function checkStateFile(stateFile: string): string | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    if (!existsSync(lastGood(stateFile))) return undefined; // nothing better: anvil reports the bad file
    const aside = `${stateFile}.unreadable-${Date.now()}`;
    renameSync(stateFile, aside);
    copyFileSync(lastGood(stateFile), stateFile);
    return aside;
  }
  keepCopy(stateFile);
  return undefined;
}

const lastGood = (stateFile: string) => `${stateFile}.last-good`;

/** Copies a state file known to be whole to its last-good copy, durably. */
function keepCopy(stateFile: string): void {
  const temp = `${lastGood(stateFile)}.tmp`;
  copyFileSync(stateFile, temp);
  syncFile(temp);
  renameSync(temp, lastGood(stateFile));
}

function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Starts anvil on loopback with a fixed block period, its state in `dataDir/chain` dumped every second
 * (anvil's shortest interval) and on SIGTERM, and without old states kept on disk. On Linux it runs
 * under `setpriv --pdeathsig TERM`, so the kernel stops it (and it dumps its state) when this process
 * dies, even by SIGKILL; its pid is recorded in `chain/anvil.pid` so that a start finds one that
 * outlived its stack anyway (no setpriv) and stops it. A port already taken is refused rather than
 * used: the node answering there would not be this data directory's chain.
 */
export async function startAnvil(dataDir: string, port: number, blockTimeSeconds: number): Promise<ChainNode> {
  const chainDir = join(dataDir, "chain");
  mkdirSync(chainDir, { recursive: true });
  const pidFile = join(chainDir, "anvil.pid");
  const stateFile = join(chainDir, "anvil-state.json");
  const stoppedOrphan = await stopOrphan(pidFile);
  if (await portTaken(port)) {
    throw new Error(`chain port ${port} is in use by another process; stop it or set AIDPROOF_CHAIN_PORT`);
  }
  const restoredState = checkStateFile(stateFile);
  const args = [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    // 0: a block per transaction, plus a block every second for transactions that arrive while
    // one is being mined (anvil's automine alone leaves those pending until the next one).
    ...(blockTimeSeconds > 0 ? ["--block-time", String(blockTimeSeconds)] : ["--mixed-mining", "--block-time", "1"]),
    "--chain-id",
    "31337",
    "--state",
    stateFile,
    "--state-interval",
    "1",
    // Keep the last 256 states in memory and none on disk: without a bound anvil writes every old
    // state under ~/.foundry, and with none kept a call racing a new block can find its state gone.
    "--prune-history",
    "256",
    "--silent",
  ];
  const setpriv = setprivPath();
  const child = setpriv
    ? spawn(setpriv, ["--pdeathsig", "TERM", "--", anvilBinary(), ...args], { stdio: ["ignore", "ignore", "pipe"] })
    : spawn(anvilBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
  // setpriv execs anvil in place: the pid and start time are anvil's.
  if (child.pid) writeRecord(pidFile, { ...currentRecord(child.pid), binary: anvilBinary() });
  // Never leave a chain node behind this process, whatever way it exits.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => {
    process.removeListener("exit", killOnExit);
    if (child.pid) removeRecord(pidFile, child.pid);
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const rpcUrl = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(rpcUrl, 31337, { staticNetwork: true, batchMaxCount: 1 });
  try {
    for (let i = 0; ; ++i) {
      if (child.exitCode !== null) throw new Error(`anvil exited with ${child.exitCode}: ${stderr.trim()}`);
      try {
        await provider.getBlockNumber();
        break;
      } catch {
        if (i > 100) throw new Error(`anvil did not answer on ${rpcUrl}: ${stderr.trim()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    provider.destroy();
  }
  return {
    rpcUrl,
    process: child,
    stoppedOrphan,
    restoredState,
    kill: () => child.kill("SIGKILL"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      child.kill("SIGCONT"); // a stopped (SIGSTOP) anvil acts on SIGTERM only once continued
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
      // anvil does not fsync its dump: make the state it wrote at exit survive a power cut too.
      if (child.exitCode === 0 && existsSync(stateFile)) {
        syncFile(stateFile);
        keepCopy(stateFile);
      }
    },
  };
}

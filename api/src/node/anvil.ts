import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { commandLine, isAlive, waitForExit } from "./processes";

const SETPRIV = "/usr/bin/setpriv";
const STOP_GRACE_MS = 3_000;

export interface ChainNode {
  rpcUrl: string;
  /** SIGTERM, then SIGKILL after a grace period; anvil dumps its state on SIGTERM. */
  stop(): Promise<void>;
  /** For outage tests: kill at once, as a crash would. */
  kill(): void;
  process: ChildProcess;
  /** The pid of a chain node a previous run left behind on this data directory, stopped before this one started. */
  stoppedOrphan?: number;
}

/**
 * A chain node left running on this data directory by a stack that was killed (kill -9 leaves no
 * chance to stop children): found by its recorded pid and command line, and stopped, so the next
 * start never silently uses it.
 */
async function stopOrphan(pidFile: string, statePath: string): Promise<number | undefined> {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8"), 10);
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || !isAlive(pid) || !commandLine(pid).includes(statePath)) return undefined;
  process.kill(pid, "SIGTERM"); // anvil dumps its state on SIGTERM
  if (!(await waitForExit(pid, STOP_GRACE_MS))) process.kill(pid, "SIGKILL");
  await waitForExit(pid, STOP_GRACE_MS);
  return pid;
}

/** The anvil binary from its platform package (not the npm wrapper, which would outlive a kill). */
export function anvilBinary(): string {
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return join(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, ""), "bin", "anvil");
}

/**
 * Starts anvil on loopback with a fixed block period, its state in `dataDir/chain` dumped every second
 * (anvil's shortest interval) and on exit, without old states kept on disk. A crash of anvil itself
 * can lose what it mined since its last dump, at most about a second: the gateway treats nothing as
 * final before it is deep enough (AIDPROOF_FINALITY_DEPTH) and re-anchors what a restart lost.
 * Where util-linux's setpriv exists (every Debian), anvil gets SIGTERM when this process dies, however
 * it dies; otherwise the next start stops the orphan by its recorded pid.
 */
export async function startAnvil(dataDir: string, port: number, blockTimeSeconds: number): Promise<ChainNode> {
  const chainDir = join(dataDir, "chain");
  mkdirSync(chainDir, { recursive: true });
  const statePath = join(chainDir, "anvil-state.json");
  const pidFile = join(chainDir, "anvil.pid");
  const stoppedOrphan = await stopOrphan(pidFile, statePath);
  const withParentDeath = existsSync(SETPRIV) ? [SETPRIV, "--pdeathsig", "TERM", "--"] : [];
  const [command, ...prefix] = [...withParentDeath, anvilBinary()];
  const child = spawn(
    command,
    [
      ...prefix,
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
      statePath,
      "--state-interval",
      "1",
      // Keep the last 256 states in memory and none on disk: without a bound anvil writes every old
      // state under ~/.foundry, and with none kept a call racing a new block can find its state gone.
      "--prune-history",
      "256",
      "--silent",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  writeFileSync(pidFile, `${child.pid}\n`);
  // Never leave a chain node behind this process when it exits (setpriv covers a kill -9).
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => {
    process.removeListener("exit", killOnExit);
    rmSync(pidFile, { force: true });
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
    kill: () => child.kill("SIGKILL"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      // A node that does not end in time (stopped, hung) is killed: shutdown stays bounded.
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

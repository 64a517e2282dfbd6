import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";

export interface ChainNode {
  rpcUrl: string;
  /** SIGTERM, then SIGKILL after a grace period; anvil dumps its state on SIGTERM. */
  stop(): Promise<void>;
  /** For outage tests: kill at once, as a crash would. */
  kill(): void;
  process: ChildProcess;
}

/** The anvil binary from its platform package (not the npm wrapper, which would outlive a kill). */
export function anvilBinary(): string {
  const pkg = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  return join(require.resolve(`${pkg}/package.json`).replace(/package\.json$/, ""), "bin", "anvil");
}

/**
 * Starts anvil on loopback with a fixed block period, its state in `dataDir/chain` dumped every second
 * (so it survives a restart, even a kill) and without old states kept on disk.
 */
export async function startAnvil(dataDir: string, port: number, blockTimeSeconds: number): Promise<ChainNode> {
  const chainDir = join(dataDir, "chain");
  mkdirSync(chainDir, { recursive: true });
  const child = spawn(
    anvilBinary(),
    [
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
      join(chainDir, "anvil-state.json"),
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
  // Never leave a chain node behind this process, whatever way it exits.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.removeListener("exit", killOnExit));
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
    kill: () => child.kill("SIGKILL"),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `npm start`: the whole local consortium on embedded defaults (see README). Stops cleanly on Ctrl-C
 * or SIGTERM, within STOP_DEADLINE_MS even with the chain down, and when npm, its parent, is killed.
 */
import { loadConfig } from "../api/src/config";
import { createLogger } from "../api/src/logger";
import { startLocalStack } from "../api/src/node/localStack";

/** Past this, stop() is stuck on something unforeseen: exit anyway, non-zero. The stack bounds itself to ~8 s. */
const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const stack = await startLocalStack(config, log);
  // Handlers first: whoever reads the banner below may signal at once.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    log.info({ signal }, "stopping");
    setTimeout(() => {
      log.error({ ms: Date.now() - started }, "did not stop in time; exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    await stack.stop();
    log.info({ ms: Date.now() - started }, "stopped");
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  const lines = [
    "",
    "AidProof local consortium is up",
    `  gateway API   ${stack.gateway.url}   (docs: ${stack.gateway.url}/docs)`,
    `  chain RPC     ${stack.rpcUrl}   (chain id ${stack.deployment.chainId})`,
    `  contracts     ${JSON.stringify(stack.deployment.addresses)}`,
    `  validators    ${stack.validators.length} member organizations, M = 2`,
    `  data          ${config.dataDir}`,
    "",
    "Next, in another terminal:  npm run demo",
    "Stop with Ctrl-C.",
    "",
  ];
  process.stderr.write(lines.join("\n"));
  // `npm start` runs this under npm: if npm is killed (SIGKILL, so it forwards nothing), stop rather
  // than run on unseen, holding the data directory and the ports.
  if (process.env.npm_lifecycle_event) {
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown("parent exited");
    }, 1000).unref();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`aidproof: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

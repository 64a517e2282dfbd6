/**
 * `npm start`: the whole local consortium on embedded defaults (see README). Stops cleanly on Ctrl-C
 * or SIGTERM, within STOP_DEADLINE_MS even with the chain down, and when npm, its parent, is killed.
 */
import { loadConfig } from "../api/src/config";
import { createLogger } from "../api/src/logger";
import { startLocalStack, type LocalStack } from "../api/src/node/localStack";

/** Past this, stop() is stuck on something unforeseen: exit anyway, non-zero. The stack bounds itself to ~8 s. */
const STOP_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  // Handlers first: a signal during start-up (or right after the banner) still stops the stack
  // cleanly, instead of Node's default, which ends the process at once and leaves nothing saved.
  const started: { stack?: LocalStack } = {};
  let stopping = false;
  const stop = async () => {
    try {
      await started.stack?.stop();
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : error }, "stopped with an error");
      process.exit(1);
    }
  };
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    // Every step of stop() has its own deadline; this is the backstop if one still hangs.
    setTimeout(() => {
      log.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    if (started.stack) void stop(); // else: once start-up finishes
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));

  const stack = (started.stack = await startLocalStack(config, log));
  if (stopping) return stop();
  const lines = [
    "",
    "AidProof local consortium is up",
    `  gateway API   ${stack.gateway.url}   (docs: ${stack.gateway.url}/docs)`,
    `  verifier      ${stack.gateway.url}/verify/   (pin: ${config.descriptorFile})`,
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
      if (process.ppid !== parent) shutdown("parent exited");
    }, 1000).unref();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`aidproof: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

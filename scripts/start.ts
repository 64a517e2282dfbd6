/**
 * `npm start`: the whole local consortium on embedded defaults (see README). Stops cleanly on Ctrl-C
 * or SIGTERM.
 */
import { loadConfig } from "../api/src/config";
import { createLogger } from "../api/src/logger";
import { startLocalStack } from "../api/src/node/localStack";

const SHUTDOWN_LIMIT_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const stack = await startLocalStack(config, log);
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
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping");
    // Every step of stop() has its own deadline; this is the backstop if one still hangs.
    setTimeout(() => {
      log.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    try {
      await stack.stop();
      log.info("stopped");
      process.exit(0);
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : error }, "stopped with an error");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  process.stderr.write(`aidproof: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

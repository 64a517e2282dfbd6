/**
 * `npm start`: the whole local consortium on embedded defaults (see README). Stops cleanly on Ctrl-C
 * or SIGTERM.
 */
import { loadConfig } from "../api/src/config";
import { createLogger } from "../api/src/logger";
import { startLocalStack, type LocalStack } from "../api/src/node/localStack";

const SHUTDOWN_LIMIT_MS = 15_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  // Handlers first: a signal during start-up (or right after the banner) still stops the stack
  // cleanly, instead of Node's default, which ends the process at once and leaves nothing saved.
  let stack: LocalStack | undefined;
  let stopping = false;
  const stop = async () => {
    try {
      await stack?.stop();
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
    }, SHUTDOWN_LIMIT_MS).unref();
    if (stack) void stop(); // else: once start-up finishes
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));

  stack = await startLocalStack(config, log);
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
}

main().catch((error: unknown) => {
  process.stderr.write(`aidproof: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type Config } from "../../api/src/config";
import { createLogger } from "../../api/src/logger";
import { startLocalStack, type LocalStack } from "../../api/src/node/localStack";
import { freePort } from "../../scripts/support/ports";

export interface TestStack extends LocalStack {
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

/** The real local stack (anvil, contracts, embedded store, SQLite, HTTP, validators) in a temp dir. */
export async function startTestStack(env: Record<string, string> = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), "aidproof-stack-"));
  const config = loadConfig({
    AIDPROOF_DATA_DIR: dataDir,
    AIDPROOF_PORT: "0",
    AIDPROOF_CHAIN_PORT: String(await freePort()),
    AIDPROOF_BLOCK_TIME_SECONDS: "0",
    AIDPROOF_BATCH_INTERVAL_MS: "200",
    AIDPROOF_LOG_LEVEL: "silent",
    // No announcements in the background of tests that are not about them.
    AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: "86400",
    ...env,
  });
  const stack = await startLocalStack(config, createLogger(config.logLevel));
  return {
    ...stack,
    config,
    dataDir,
    async close() {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `npm run validator`: one consortium member's validator node as its own process. It follows the
 * chain, fetches every batch's manifest and items from any trustless gateway (verifying each block
 * against its CID), re-checks them and attests with the member's key.
 *
 *   AIDPROOF_RPC_URL=...  AIDPROOF_VALIDATOR_KEY=0x...  AIDPROOF_ENCRYPTION_KEY=0x...  AIDPROOF_GATEWAY_URL=...  \
 *   AIDPROOF_DEPLOYMENT_FILE=./data/deployment.json  npm run validator
 */
import { readFileSync } from "node:fs";
import { isHexString } from "ethers";
import { z } from "zod";
import { deploymentRecordSchema } from "../api/src/config";
import { createLogger } from "../api/src/logger";
import { fetchVerified } from "../api/src/store/gatewayClient";
import { ValidatorNode } from "../api/src/validator/validatorNode";
import { settledWithin } from "../api/src/node/bounded";

const envSchema = z.object({
  AIDPROOF_RPC_URL: z.url(),
  AIDPROOF_VALIDATOR_KEY: z.string().refine((k) => isHexString(k, 32), "a 0x-prefixed 32-byte private key"),
  AIDPROOF_ENCRYPTION_KEY: z
    .string()
    .refine((k) => isHexString(k, 32), "a 0x-prefixed 32-byte private key")
    .optional(),
  AIDPROOF_GATEWAY_URL: z.url(),
  AIDPROOF_DEPLOYMENT_FILE: z.string().default("./data/deployment.json"),
  AIDPROOF_LOG_LEVEL: z.string().default("info"),
});

async function main(): Promise<void> {
  const env = envSchema.safeParse(process.env);
  if (!env.success) throw new Error(`invalid configuration:\n${z.prettifyError(env.error)}`);
  const c = env.data;
  const deployment = deploymentRecordSchema.parse(JSON.parse(readFileSync(c.AIDPROOF_DEPLOYMENT_FILE, "utf8")));
  const log = createLogger(c.AIDPROOF_LOG_LEVEL, "aidproof-validator");
  const node = new ValidatorNode(
    c.AIDPROOF_RPC_URL,
    c.AIDPROOF_VALIDATOR_KEY,
    deployment.addresses,
    BigInt(deployment.chainId),
    (cid) => fetchVerified(c.AIDPROOF_GATEWAY_URL, cid),
    deployment.deploymentBlock,
    log,
    { encryptionKey: c.AIDPROOF_ENCRYPTION_KEY },
  );
  node.start();
  log.info({ validator: await node.address, gateway: c.AIDPROOF_GATEWAY_URL }, "validator running");
  const stop = async () => {
    // Its current pass may wait on a chain that does not answer; it resumes from the chain when restarted.
    if (!(await settledWithin(node.stop(), 3_000))) log.warn("chain unreachable: stopped without waiting for it");
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`aidproof-validator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});

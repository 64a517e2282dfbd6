import { isAddress, isHexString } from "ethers";
import { resolve } from "node:path";
import { z } from "zod";
import type { JuryRules } from "./jury/rules";
import type { ChargeRules } from "./charges/rules";
import { DomainError } from "./errors";

const boolean = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const privateKey = z.string().refine((v) => isHexString(v, 32), "must be a 0x-prefixed 32-byte private key");
const address = z.string().refine((v) => isAddress(v), "must be an address");

/**
 * Every setting of the gateway API and the local stack, from the environment (see .env.example).
 * Parsed once at start; an invalid value stops the process with a message naming the variable.
 */
export const configSchema = z
  .object({
    AIDPROOF_DATA_DIR: z.string().default("./data"),
    AIDPROOF_HOST: z.string().default("127.0.0.1"),
    AIDPROOF_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    AIDPROOF_RPC_URL: z.url().optional(),
    AIDPROOF_CHAIN_PORT: z.coerce.number().int().min(1).max(65535).default(8545),
    AIDPROOF_BLOCK_TIME_SECONDS: z.coerce.number().int().min(0).default(1),
    AIDPROOF_DEPLOYMENT_FILE: z.string().optional(),
    AIDPROOF_CONSORTIUM_NAME: z.string().max(200).default("AidProof local consortium"),
    AIDPROOF_PUBLIC_RPC_URL: z.url().optional(),
    AIDPROOF_GATEWAY_KEY: privateKey.optional(),
    AIDPROOF_IPFS_BACKEND: z.enum(["embedded", "kubo"]).default("embedded"),
    AIDPROOF_KUBO_URL: z.url().optional(),
    AIDPROOF_MAX_UPLOAD_BYTES: z.coerce
      .number()
      .int()
      .positive()
      .default(50 * 1024 * 1024),
    AIDPROOF_BATCH_MAX_ITEMS: z.coerce.number().int().min(1).max(10_000).default(1_000),
    AIDPROOF_BATCH_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
    AIDPROOF_BATCHES_IN_FLIGHT: z.coerce.number().int().min(1).max(32).default(4),
    AIDPROOF_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
    AIDPROOF_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    AIDPROOF_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
    AIDPROOF_VALIDATORS: boolean.default(true),
    AIDPROOF_ANNOUNCER: boolean.default(true),
    AIDPROOF_VALIDATOR_GIVE_UP_MS: z.coerce.number().int().min(0).default(120_000),
    AIDPROOF_DEADLINE_MARGIN_SECONDS: z.coerce.number().int().min(0).default(60),
    AIDPROOF_FINALITY_DEPTH: z.coerce.number().int().min(0).max(10_000).optional(),
    AIDPROOF_DISPUTE_WINDOW_SECONDS: z.coerce
      .number()
      .int()
      .min(0)
      .default(14 * 24 * 3600),
    AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS: z.coerce.number().int().min(1).default(60),
    AIDPROOF_JURY: boolean.default(true),
    AIDPROOF_JURY_POOL_SECONDS: z.coerce.number().int().min(0).default(10),
    AIDPROOF_JURY_VOTING_SECONDS: z.coerce.number().int().min(1).default(60),
    AIDPROOF_JURY_ROSTER_SIZE: z.coerce.number().int().min(1).default(150),
    AIDPROOF_JURY_MIN_POOL_SIZE: z.coerce.number().int().min(2).default(200),
    AIDPROOF_JURY_MIN_VALID_VOTES: z.coerce.number().int().min(1).default(50),
    AIDPROOF_CHARGES: boolean.default(true),
    AIDPROOF_CHARGE_CAP_PER_CLAIM: z.coerce.bigint().min(0n).default(10_000n),
    AIDPROOF_MEMBER_WAITING_SECONDS: z.coerce.number().int().min(0).default(0),
    AIDPROOF_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((c, ctx) => {
    if (c.AIDPROOF_IPFS_BACKEND === "kubo" && !c.AIDPROOF_KUBO_URL) {
      ctx.addIssue({
        code: "custom",
        path: ["AIDPROOF_KUBO_URL"],
        message: "required when AIDPROOF_IPFS_BACKEND=kubo",
      });
    }
    if (c.AIDPROOF_RPC_URL && !c.AIDPROOF_GATEWAY_KEY) {
      ctx.addIssue({
        code: "custom",
        path: ["AIDPROOF_GATEWAY_KEY"],
        message: "required with an external AIDPROOF_RPC_URL",
      });
    }
  });

export type RawConfig = z.infer<typeof configSchema>;

export interface ContractAddresses {
  consortium: string;
  evidenceRegistry: string;
  claimRegistry: string;
  juryCourt: string;
  announcementRegistry: string;
  membershipRegistry: string;
  chargeRegistry: string;
}

export interface Config {
  dataDir: string;
  host: string;
  port: number;
  /** Undefined: start the embedded chain node. */
  rpcUrl?: string;
  chainPort: number;
  /** Block period of the embedded chain; 0 mines a block per transaction (tests). */
  blockTimeSeconds: number;
  gatewayKey?: string;
  /** Deployment record (addresses, chain id, deployment block): written by the local stack, read for an external chain. */
  deploymentFile: string;
  /** The consortium descriptor the stack writes (data/consortium.json), with its name and public RPC. */
  descriptorFile: string;
  consortiumName: string;
  publicRpcUrl?: string;
  ipfs: { backend: "embedded" } | { backend: "kubo"; url: string };
  maxUploadBytes: number;
  batch: { maxItems: number; intervalMs: number; inFlight: number };
  rateLimitPerMinute: number;
  /** A request's headers, and the whole request, must arrive within these. */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  runValidators: boolean;
  /** Whether this gateway publishes each closed period's announcement. */
  runAnnouncer: boolean;
  /** How long a validator waits for unreachable content before judging it missing. */
  validatorGiveUpMs: number;
  /** How long before its signed deadline an upload must arrive, so its batch is anchored in time. */
  deadlineMarginSeconds: number;
  /**
   * Blocks an anchor or a relayed claim must be below the head before the gateway calls it final:
   * 0 on an instant-finality chain (QBFT); by default 0 for an external chain and 3 for the embedded
   * dev chain, which can lose its last second of blocks when killed.
   */
  finalityDepth: number;
  /** Dispute window and announcement period of a local deployment (the chain holds a deployed one's). */
  disputeWindowSeconds: number;
  announcementPeriodSeconds: number;
  /** Whether this gateway runs the jury's steps (pools, cases, seal, tally); one gateway of a consortium does. */
  runJury: boolean;
  /** Least time between two juror pools proposed by this gateway. */
  juryPoolIntervalMs: number;
  /** Jury rules of a local deployment: no qualification wait, short windows, a small roster. */
  juryRules: JuryRules;
  /** Whether this gateway records membership batches and proposes each closed period's charges. */
  runCharges: boolean;
  /** Cost-sharing rules of a local deployment: a dev cap and no waiting period. */
  chargeRules: ChargeRules;
  logLevel: RawConfig["AIDPROOF_LOG_LEVEL"];
}

export const deploymentRecordSchema = z.object({
  chainId: z.string().regex(/^\d+$/),
  deploymentBlock: z.number().int().nonnegative(),
  addresses: z.object({
    consortium: address,
    evidenceRegistry: address,
    claimRegistry: address,
    juryCourt: address,
    announcementRegistry: address,
    membershipRegistry: address,
    chargeRegistry: address,
  }),
});

export type DeploymentRecord = z.infer<typeof deploymentRecordSchema>;

export class ConfigError extends DomainError {
  constructor(message: string) {
    super("INVALID_CONFIG", message);
  }
}

/** Validates `env` (process.env by default) into a {@link Config}; throws {@link ConfigError}. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const dataDir = resolve(c.AIDPROOF_DATA_DIR);
  return {
    dataDir,
    host: c.AIDPROOF_HOST,
    port: c.AIDPROOF_PORT,
    rpcUrl: c.AIDPROOF_RPC_URL,
    chainPort: c.AIDPROOF_CHAIN_PORT,
    blockTimeSeconds: c.AIDPROOF_BLOCK_TIME_SECONDS,
    gatewayKey: c.AIDPROOF_GATEWAY_KEY,
    deploymentFile: resolve(c.AIDPROOF_DEPLOYMENT_FILE ?? `${dataDir}/deployment.json`),
    descriptorFile: resolve(`${dataDir}/consortium.json`),
    consortiumName: c.AIDPROOF_CONSORTIUM_NAME,
    publicRpcUrl: c.AIDPROOF_PUBLIC_RPC_URL,
    ipfs: c.AIDPROOF_IPFS_BACKEND === "kubo" ? { backend: "kubo", url: c.AIDPROOF_KUBO_URL! } : { backend: "embedded" },
    maxUploadBytes: c.AIDPROOF_MAX_UPLOAD_BYTES,
    batch: {
      maxItems: c.AIDPROOF_BATCH_MAX_ITEMS,
      intervalMs: c.AIDPROOF_BATCH_INTERVAL_MS,
      inFlight: c.AIDPROOF_BATCHES_IN_FLIGHT,
    },
    rateLimitPerMinute: c.AIDPROOF_RATE_LIMIT_PER_MINUTE,
    headersTimeoutMs: c.AIDPROOF_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: Math.max(c.AIDPROOF_REQUEST_TIMEOUT_MS, c.AIDPROOF_HEADERS_TIMEOUT_MS),
    runValidators: c.AIDPROOF_VALIDATORS,
    validatorGiveUpMs: c.AIDPROOF_VALIDATOR_GIVE_UP_MS,
    deadlineMarginSeconds: c.AIDPROOF_DEADLINE_MARGIN_SECONDS,
    finalityDepth: c.AIDPROOF_FINALITY_DEPTH ?? (c.AIDPROOF_RPC_URL ? 0 : 3),
    runAnnouncer: c.AIDPROOF_ANNOUNCER,
    disputeWindowSeconds: c.AIDPROOF_DISPUTE_WINDOW_SECONDS,
    announcementPeriodSeconds: c.AIDPROOF_ANNOUNCEMENT_PERIOD_SECONDS,
    runJury: c.AIDPROOF_JURY,
    juryPoolIntervalMs: c.AIDPROOF_JURY_POOL_SECONDS * 1000,
    runCharges: c.AIDPROOF_CHARGES,
    chargeRules: {
      capPerPaidClaim: c.AIDPROOF_CHARGE_CAP_PER_CLAIM,
      waitingSeconds: c.AIDPROOF_MEMBER_WAITING_SECONDS,
    },
    juryRules: {
      qualificationSeconds: 0,
      votingSeconds: c.AIDPROOF_JURY_VOTING_SECONDS,
      stallSeconds: c.AIDPROOF_JURY_VOTING_SECONDS,
      minPoolSize: c.AIDPROOF_JURY_MIN_POOL_SIZE,
      rosterSize: c.AIDPROOF_JURY_ROSTER_SIZE,
      minValidVotes: c.AIDPROOF_JURY_MIN_VALID_VOTES,
      majorityBps: 5_000,
    },
    logLevel: c.AIDPROOF_LOG_LEVEL,
  };
}

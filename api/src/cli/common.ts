import { existsSync, readFileSync } from "node:fs";
import { JsonRpcProvider, Wallet } from "ethers";
import { AidProofClient, type ChainPin } from "../sdk/client";
import { parseDescriptor, type ConsortiumDescriptor } from "../verify/descriptor";

/**
 * Exit codes: 0 ok; 1 rejected or failed verification; 2 bad usage or input; 3 gateway or chain
 * unreachable; 4 anchored but not yet confirmed by the members (verify).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, pending: 4 } as const;

export interface GlobalOptions {
  gateway: string;
  rpc?: string;
  consortium: string;
  keyFile?: string;
  json?: boolean;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function claimantWallet(options: GlobalOptions): Wallet {
  const fromEnv = process.env.AIDPROOF_CLAIMANT_KEY;
  if (options.keyFile) {
    if (!existsSync(options.keyFile))
      throw new CliError(
        `key file ${options.keyFile} does not exist (create one: aidproof keygen --out FILE)`,
        EXIT.usage,
      );
    return new Wallet(readFileSync(options.keyFile, "utf8").trim());
  }
  if (fromEnv) return new Wallet(fromEnv);
  throw new CliError("no claimant key: pass --key-file FILE or set AIDPROOF_CLAIMANT_KEY", EXIT.usage);
}

/** The consortium descriptor the user pins: a file, or a URL where the consortium publishes it. */
export async function loadDescriptor(source: string): Promise<ConsortiumDescriptor> {
  let text: string;
  try {
    if (/^https?:\/\//.test(source)) {
      const response = await fetch(source);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
    } else {
      if (!existsSync(source))
        throw new CliError(
          `no consortium descriptor at ${source}: pass --consortium FILE|URL (the consortium publishes it)`,
          EXIT.usage,
        );
      text = readFileSync(source, "utf8");
    }
    return parseDescriptor(JSON.parse(text));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot use ${source}: ${error instanceof Error ? error.message : error}`, EXIT.usage);
  }
}

/** The RPC endpoint to read the chain through: --rpc, else the descriptor's. */
export function rpcFor(options: GlobalOptions, descriptor?: ConsortiumDescriptor): string {
  const rpcUrl = options.rpc ?? descriptor?.rpcUrl;
  if (!rpcUrl)
    throw new CliError("no RPC endpoint: pass --rpc URL (any endpoint of the consortium's chain)", EXIT.usage);
  return rpcUrl;
}

/** The chain and deployment the claimant pins: members and keys are read there, never from the gateway. */
export async function chainPin(options: GlobalOptions): Promise<ChainPin> {
  const descriptor = await loadDescriptor(options.consortium);
  return { rpcUrl: rpcFor(options, descriptor), descriptor };
}

/** A client that signs as the claimant and reads the consortium from the pinned chain. */
export async function signingClient(options: GlobalOptions): Promise<AidProofClient> {
  return new AidProofClient(options.gateway, claimantWallet(options), await chainPin(options));
}

export const when = (seconds: number) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

export function output(options: GlobalOptions, value: unknown, human: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human}\n`);
}

export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${error instanceof Error ? error.message : error}`, EXIT.usage);
  }
}

export function readInputFile(path: string): Buffer {
  if (!existsSync(path)) throw new CliError(`${path} does not exist`, EXIT.usage);
  return readFileSync(path);
}

export function positiveBigInt(value: string, name: string): bigint {
  if (!/^\d+$/.test(value)) throw new CliError(`${name} must be a non-negative integer, got "${value}"`, EXIT.usage);
  return BigInt(value);
}

/** Runs `work` against the pinned consortium's chain, read through the user's RPC endpoint. */
export async function withPinnedChain<T>(
  options: GlobalOptions,
  work: (provider: JsonRpcProvider, descriptor: ConsortiumDescriptor) => Promise<T>,
): Promise<T> {
  const descriptor = await loadDescriptor(options.consortium);
  const provider = new JsonRpcProvider(rpcFor(options, descriptor), undefined, { batchMaxCount: 1 });
  try {
    return await work(provider, descriptor);
  } finally {
    provider.destroy();
  }
}

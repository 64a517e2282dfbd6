import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { JsonRpcProvider, NonceManager, Wallet, parseEther, toQuantity } from "ethers";
import { deploymentRecordSchema, type Config, type DeploymentRecord } from "../config";
import { deployAidProof } from "../../../scripts/deploy/deployAidProof";
import { startGateway, type Gateway } from "../gateway";
import { ValidatorNode } from "../validator/validatorNode";
import type { Logger } from "../logger";
import { startAnvil, type ChainNode } from "./anvil";
import { settledWithin } from "./bounded";
import { lockDataDir } from "./dataDirLock";
import { encryptionPublicKey, loadOrCreateKeys, type LocalKeys } from "./keys";
import type { ConsortiumDescriptor } from "../verify/descriptor";

export interface LocalStack {
  gateway: Gateway;
  rpcUrl: string;
  deployment: DeploymentRecord;
  /** What clients and verifiers pin: written to data/consortium.json. */
  descriptor: ConsortiumDescriptor;
  chainNode?: ChainNode;
  validators: ValidatorNode[];
  keys?: LocalKeys;
  stop(): Promise<void>;
}

const THRESHOLD = 2;
/** Validators wait on the chain too: as long as the gateway's chain work gets (see gateway.ts). */
const VALIDATORS_STOP_MS = 3_000;

function readDeployment(path: string): DeploymentRecord | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = deploymentRecordSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new Error(`${path} is not a deployment record: ${parsed.error.message}`);
  return parsed.data;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Deploys the contracts with 3 local member organizations (M = 2) unless this data directory has them. */
async function ensureDeployed(rpcUrl: string, keys: LocalKeys, config: Config, log: Logger): Promise<DeploymentRecord> {
  const path = config.deploymentFile;
  const provider = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1 });
  try {
    const existing = readDeployment(path);
    if (existing) {
      if ((await provider.getCode(existing.addresses.consortium)) === "0x") {
        throw new Error(
          `the chain has no contracts at the addresses in ${path}: its state was lost; start with a new data directory`,
        );
      }
      return existing;
    }
    // A dev chain: give the local keys ether (consortium chains run gas-free or pre-funded).
    const accounts = [keys.deployer, keys.gateway, ...keys.members.map((m) => m.validatorKey)].map(
      (k) => new Wallet(k).address,
    );
    for (const account of accounts)
      await provider.send("anvil_setBalance", [account, toQuantity(parseEther("1000000"))]);
    const deployer = new NonceManager(new Wallet(keys.deployer, provider));
    const deployment = await deployAidProof(deployer, {
      members: keys.members.map((m) => ({
        account: new Wallet(m.validatorKey).address,
        name: m.name,
        encryptionKey: encryptionPublicKey(m.encryptionKey),
      })),
      threshold: THRESHOLD,
      gateways: [new Wallet(keys.gateway).address],
      disputeWindowSeconds: config.disputeWindowSeconds,
      announcementPeriodSeconds: config.announcementPeriodSeconds,
      juryRules: config.juryRules,
      chargeRules: config.chargeRules,
    });
    const record: DeploymentRecord = {
      chainId: deployment.chainId.toString(),
      deploymentBlock: deployment.deploymentBlock,
      addresses: deployment.addresses,
    };
    writeJson(path, record);
    log.info(record, "contracts deployed");
    return record;
  } finally {
    provider.destroy();
  }
}

/**
 * The whole local consortium: an anvil node on loopback (or an external chain from the config), the
 * contracts and three member organizations, the gateway API over the embedded store, and one
 * validator per member. Keys and chain state live in the data directory and are reused; the
 * directory is locked (`aidproof.lock`) while the stack runs, so a second stack on it fails at once.
 * stop() is bounded: about 3 s for the chain-bound work plus up to 5 s for anvil to dump its state.
 */
export async function startLocalStack(config: Config, log: Logger): Promise<LocalStack> {
  const lock = lockDataDir(config.dataDir, "an AidProof stack (npm start)");
  try {
    return await startLocked(config, log, lock.release);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(config: Config, log: Logger, unlock: () => void): Promise<LocalStack> {
  let chainNode: ChainNode | undefined;
  let keys: LocalKeys | undefined;
  let rpcUrl: string;
  let gatewayKey: string;
  let deployment: DeploymentRecord;

  if (config.rpcUrl) {
    rpcUrl = config.rpcUrl;
    gatewayKey = config.gatewayKey!;
    const existing = readDeployment(config.deploymentFile);
    if (!existing)
      throw new Error(`external chain: no deployment record at ${config.deploymentFile} (see scripts/deploy.ts)`);
    deployment = existing;
  } else {
    ({ keys } = loadOrCreateKeys(config.dataDir));
    chainNode = await startAnvil(config.dataDir, config.chainPort, config.blockTimeSeconds);
    if (chainNode.stoppedOrphan)
      log.warn({ pid: chainNode.stoppedOrphan }, "stopped the chain node a killed stack left running");
    if (chainNode.restoredState)
      log.warn(
        { unreadable: chainNode.restoredState },
        "the chain state file was cut short (anvil killed mid-dump): restored the last good copy (last start or clean stop); later blocks are lost",
      );
    rpcUrl = chainNode.rpcUrl;
    gatewayKey = keys.gateway;
    try {
      deployment = await ensureDeployed(rpcUrl, keys, config, log);
    } catch (error) {
      await chainNode.stop();
      throw error;
    }
  }

  let gateway: Gateway;
  try {
    gateway = await startGateway(
      config,
      { rpcUrl, gatewayKey, addresses: deployment.addresses, deploymentBlock: deployment.deploymentBlock },
      log,
    );
  } catch (error) {
    await chainNode?.stop();
    throw error;
  }
  const validators =
    keys && config.runValidators
      ? keys.members.map(
          (m) =>
            new ValidatorNode(
              rpcUrl,
              m.validatorKey,
              deployment.addresses,
              BigInt(deployment.chainId),
              (cid) => gateway.store.get(cid),
              deployment.deploymentBlock,
              log.child({ component: "validator", member: m.name }),
              {
                encryptionKey: m.encryptionKey,
                contentGiveUpMs: config.validatorGiveUpMs,
                maxItemBytes: config.maxUploadBytes,
              },
            ),
        )
      : [];
  for (const v of validators) v.start();
  const descriptor = gateway.descriptor;
  writeJson(config.descriptorFile, descriptor);

  return {
    gateway,
    rpcUrl,
    deployment,
    descriptor,
    chainNode,
    validators,
    keys,
    async stop() {
      const stoppingValidators = settledWithin(Promise.all(validators.map((v) => v.stop())), VALIDATORS_STOP_MS);
      await gateway.stop();
      if (!(await stoppingValidators)) log.warn("validators still waiting on the chain after 3 s: left running");
      await chainNode?.stop();
      unlock();
    },
  };
}

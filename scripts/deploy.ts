/**
 * Deploys AidProof to the network Hardhat is pointed at, from a JSON DeploymentConfig.
 *   AIDPROOF_DEPLOY_CONFIG=deploy.json npx hardhat run scripts/deploy.ts --network localhost
 * Prints the deployment record (addresses, chain id, deployment block) as JSON, and writes the
 * consortium descriptor the consortium publishes (AIDPROOF_DESCRIPTOR_OUT, default ./consortium.json;
 * AIDPROOF_CONSORTIUM_NAME and AIDPROOF_PUBLIC_RPC_URL fill its name and public endpoint).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { ethers } from "hardhat";
import { deployAidProof } from "./deploy/deployAidProof";
import { parseDeploymentConfig } from "./deploy/deploymentConfig";
import { describeDeployment } from "../api/src/verify/descriptor";

async function main(): Promise<void> {
  const configPath = process.env.AIDPROOF_DEPLOY_CONFIG;
  if (!configPath) throw new Error("set AIDPROOF_DEPLOY_CONFIG to a deployment config JSON file");
  const config = parseDeploymentConfig(JSON.parse(readFileSync(configPath, "utf8")));
  const [deployer] = await ethers.getSigners();
  const { addresses, chainId, deploymentBlock } = await deployAidProof(deployer, config);
  console.log(JSON.stringify({ addresses, chainId: chainId.toString(), deploymentBlock }, null, 2));
  const descriptor = await describeDeployment(
    ethers.provider,
    { chainId, deploymentBlock, contracts: addresses },
    { name: process.env.AIDPROOF_CONSORTIUM_NAME, rpcUrl: process.env.AIDPROOF_PUBLIC_RPC_URL },
  );
  const out = process.env.AIDPROOF_DESCRIPTOR_OUT ?? "consortium.json";
  writeFileSync(out, `${JSON.stringify(descriptor, null, 2)}\n`);
  console.error(`consortium descriptor written to ${out}: publish it for clients and verifiers to pin`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

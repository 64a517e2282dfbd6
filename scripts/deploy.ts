/**
 * Deploys AidProof to the network Hardhat is pointed at, from a JSON DeploymentConfig.
 *   AIDPROOF_DEPLOY_CONFIG=deploy.json npx hardhat run scripts/deploy.ts --network localhost
 * Prints the deployment (addresses, chain id, deployment block) as JSON.
 */
import { readFileSync } from "node:fs";
import { ethers } from "hardhat";
import { deployAidProof } from "./deploy/deployAidProof";
import { parseDeploymentConfig } from "./deploy/deploymentConfig";

async function main(): Promise<void> {
  const configPath = process.env.AIDPROOF_DEPLOY_CONFIG;
  if (!configPath) throw new Error("set AIDPROOF_DEPLOY_CONFIG to a deployment config JSON file");
  const config = parseDeploymentConfig(JSON.parse(readFileSync(configPath, "utf8")));
  const [deployer] = await ethers.getSigners();
  const { addresses, chainId, deploymentBlock } = await deployAidProof(deployer, config);
  console.log(JSON.stringify({ addresses, chainId: chainId.toString(), deploymentBlock }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

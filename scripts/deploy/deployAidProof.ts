import { PRODUCTION_JURY_RULES, type JuryRules } from "../../api/src/jury/rules";
import { ROLES } from "../../api/src/chain/roles";
import { getCreateAddress, type Signer } from "ethers";
import { PRODUCTION_CHARGE_RULES, type ChargeRules } from "../../api/src/charges/rules";
import {
  AnnouncementRegistry__factory,
  ChargeRegistry__factory,
  MembershipRegistry__factory,
  ClaimRegistry__factory,
  Consortium__factory,
  EvidenceRegistry__factory,
  JuryCourt__factory,
  type AnnouncementRegistry,
  type ChargeRegistry,
  type MembershipRegistry,
  type ClaimRegistry,
  type Consortium,
  type EvidenceRegistry,
  type JuryCourt,
} from "../../typechain-types";

export { ROLES };

export interface MemberConfig {
  account: string;
  name: string;
  /** Compressed secp256k1 public key, 0x-prefixed, 33 bytes. */
  encryptionKey: string;
}

export interface DeploymentConfig {
  members: MemberConfig[];
  threshold: number;
  gateways: string[];
  disputeWindowSeconds: number;
  /** Length of an announcement period: 14 days in the plan this project serves. */
  announcementPeriodSeconds: number;
  /** The member jury's rules; production defaults when absent. */
  juryRules?: JuryRules;
  /** Cost sharing's cap and waiting period; production defaults when absent. */
  chargeRules?: ChargeRules;
}

export interface DeploymentAddresses {
  consortium: string;
  evidenceRegistry: string;
  claimRegistry: string;
  juryCourt: string;
  announcementRegistry: string;
  membershipRegistry: string;
  chargeRegistry: string;
}

export interface Deployment {
  consortium: Consortium;
  evidenceRegistry: EvidenceRegistry;
  claimRegistry: ClaimRegistry;
  juryCourt: JuryCourt;
  announcementRegistry: AnnouncementRegistry;
  membershipRegistry: MembershipRegistry;
  chargeRegistry: ChargeRegistry;
  addresses: DeploymentAddresses;
  chainId: bigint;
  /** First block that can hold AidProof events: where indexers start. */
  deploymentBlock: number;
}

/**
 * Deploys the seven contracts wired together. The consortium's constructor grants JURY_COURT to the
 * jury court's address, predicted from the deployer's nonce, so no account ever holds an admin role.
 */
export async function deployAidProof(deployer: Signer, config: DeploymentConfig): Promise<Deployment> {
  const provider = deployer.provider;
  if (!provider) throw new Error("deployAidProof: the deployer signer needs a provider");
  const from = await deployer.getAddress();
  const firstNonce = await provider.getTransactionCount(from, "pending");
  const deploymentBlock = await provider.getBlockNumber();
  const juryCourtAddress = getCreateAddress({ from, nonce: firstNonce + 3 });

  const roleGrants = [
    ...config.gateways.map((account) => ({ role: ROLES.GATEWAY, account })),
    { role: ROLES.JURY_COURT, account: juryCourtAddress },
  ];
  const consortium = await new Consortium__factory(deployer).deploy(
    config.members,
    config.threshold,
    roleGrants,
    config.juryRules ?? PRODUCTION_JURY_RULES,
    { nonce: firstNonce },
  );
  const evidenceRegistry = await new EvidenceRegistry__factory(deployer).deploy(consortium, { nonce: firstNonce + 1 });
  const claimRegistry = await new ClaimRegistry__factory(deployer).deploy(consortium, config.disputeWindowSeconds, {
    nonce: firstNonce + 2,
  });
  const juryCourt = await new JuryCourt__factory(deployer).deploy(consortium, claimRegistry, { nonce: firstNonce + 3 });

  const announcementRegistry = await new AnnouncementRegistry__factory(deployer).deploy(
    consortium,
    config.announcementPeriodSeconds,
    { nonce: firstNonce + 4 },
  );

  const membershipRegistry = await new MembershipRegistry__factory(deployer).deploy(consortium, {
    nonce: firstNonce + 5,
  });
  const chargeRules = config.chargeRules ?? PRODUCTION_CHARGE_RULES;
  const chargeRegistry = await new ChargeRegistry__factory(deployer).deploy(
    consortium,
    claimRegistry,
    announcementRegistry,
    membershipRegistry,
    chargeRules.capPerPaidClaim,
    chargeRules.waitingSeconds,
    { nonce: firstNonce + 6 },
  );

  const contracts = {
    consortium,
    evidenceRegistry,
    claimRegistry,
    juryCourt,
    announcementRegistry,
    membershipRegistry,
    chargeRegistry,
  };
  await Promise.all(Object.values(contracts).map((c) => c.waitForDeployment()));
  const addresses = Object.fromEntries(
    await Promise.all(Object.entries(contracts).map(async ([name, c]) => [name, await c.getAddress()])),
  ) as DeploymentAddresses;
  if (addresses.juryCourt !== juryCourtAddress) {
    throw new Error(`deployAidProof: jury court at ${addresses.juryCourt}, expected ${juryCourtAddress}`);
  }
  const { chainId } = await provider.getNetwork();
  return {
    ...contracts,
    addresses,
    chainId,
    deploymentBlock,
  };
}

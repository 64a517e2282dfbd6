import { ethers, network } from "hardhat";
import { setBalance } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { SigningKey, id } from "ethers";
import { deployAidProof, type Deployment } from "../scripts/deploy/deployAidProof";

export const DISPUTE_WINDOW = 7 * 24 * 3600;
export const ANNOUNCEMENT_PERIOD = 14 * 24 * 3600;

/** A deterministic compressed secp256k1 public key for test members. */
export function encryptionKeyFor(label: string): string {
  return new SigningKey(id(`aidproof-test-encryption-key:${label}`)).compressedPublicKey;
}

export interface AidProofFixture extends Deployment {
  deployer: HardhatEthersSigner;
  validators: HardhatEthersSigner[];
  gateway: HardhatEthersSigner;
  outsider: HardhatEthersSigner;
  claimant: HardhatEthersSigner;
  spare: HardhatEthersSigner[];
}

/** Three member organizations, M = 2, one gateway. */
export async function deployAidProofFixture(): Promise<AidProofFixture> {
  const [deployer, v1, v2, v3, gateway, outsider, claimant, ...spare] = await ethers.getSigners();
  const validators = [v1, v2, v3];
  const deployment = await deployAidProof(deployer, {
    members: validators.map((v, i) => ({
      account: v.address,
      name: `Org ${i + 1}`,
      encryptionKey: encryptionKeyFor(`org-${i + 1}`),
    })),
    threshold: 2,
    gateways: [gateway.address],
    disputeWindowSeconds: DISPUTE_WINDOW,
    announcementPeriodSeconds: ANNOUNCEMENT_PERIOD,
  });
  return { ...deployment, deployer, validators, gateway, outsider, claimant, spare };
}

/** The jury court's own address, impersonated: the only account holding JURY_COURT. */
export async function juryCourtSigner(f: AidProofFixture): Promise<HardhatEthersSigner> {
  const address = f.addresses.juryCourt;
  await network.provider.request({ method: "hardhat_impersonateAccount", params: [address] });
  await setBalance(address, 10n ** 18n);
  return ethers.getSigner(address);
}

import type { ContractRunner } from "ethers";
import { Consortium__factory } from "../../../typechain-types";

export interface ConsortiumMember {
  /** The member organization's validator address. */
  account: string;
  name: string;
  /** Compressed secp256k1 public key, 0x-hex: private evidence is wrapped for it. */
  encryptionKey: string;
}

export interface ConsortiumState {
  threshold: number;
  members: ConsortiumMember[];
}

/**
 * The consortium's members, keys and threshold, read from the Consortium contract itself. The
 * claimant's SDK, the validators and the gateway all take them from here, never from one another.
 */
export async function readConsortium(runner: ContractRunner, consortium: string): Promise<ConsortiumState> {
  const contract = Consortium__factory.connect(consortium, runner);
  const [threshold, accounts] = await Promise.all([contract.threshold(), contract.members()]);
  const members = await Promise.all(
    accounts.map(async (account) => {
      const m = await contract.member(account);
      return { account, name: m.name, encryptionKey: m.encryptionKey };
    }),
  );
  return { threshold: Number(threshold), members };
}

import { AbiCoder } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { Consortium } from "../../typechain-types";

export const Action = {
  AddMember: 0,
  RemoveMember: 1,
  RotateMemberKeys: 2,
  GrantRole: 3,
  RevokeRole: 4,
  SetThreshold: 5,
  Pause: 6,
  Unpause: 7,
} as const;

const coder = AbiCoder.defaultAbiCoder();

export const params = {
  addMember: (account: string, name: string, key: string) =>
    coder.encode(["address", "string", "bytes"], [account, name, key]),
  removeMember: (account: string) => coder.encode(["address"], [account]),
  rotate: (account: string, newAccount: string, key: string) =>
    coder.encode(["address", "address", "bytes"], [account, newAccount, key]),
  role: (role: string, account: string) => coder.encode(["bytes32", "address"], [role, account]),
  threshold: (m: number) => coder.encode(["uint256"], [m]),
  none: "0x",
};

export async function deadlineIn(seconds = 3600): Promise<number> {
  return (await time.latest()) + seconds;
}

/** Proposes with the first approver, approves with the rest, and returns the proposal id. */
export async function proposeWith(
  consortium: Consortium,
  approvers: HardhatEthersSigner[],
  action: number,
  data: string,
): Promise<bigint> {
  const id = (await consortium.proposalCount()) + 1n;
  await consortium.connect(approvers[0]).propose(action, data, await deadlineIn());
  for (const a of approvers.slice(1)) await consortium.connect(a).approve(id);
  return id;
}

/** Proposes, gathers the approvals and executes; returns the execution transaction. */
export async function govern(
  consortium: Consortium,
  approvers: HardhatEthersSigner[],
  action: number,
  data: string,
): Promise<ContractTransactionResponse> {
  const id = await proposeWith(consortium, approvers, action, data);
  return consortium.connect(approvers[0]).execute(id);
}

import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { Consortium } from "../../typechain-types";

export { ProposalAction as Action, proposalParams } from "../../api/src/chain/governance";

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

import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { ContractTransactionResponse } from "ethers";
import type { Consortium } from "../../typechain-types";

import { ProposalAction, proposalParams } from "../../api/src/chain/governance";

export { ProposalAction as Action, proposalParams };

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

/** Removes `member` and admits the same address again: a new admission, so its old votes stop counting. */
export async function removeAndReadmit(
  consortium: Consortium,
  approvers: HardhatEthersSigner[],
  member: HardhatEthersSigner,
  name: string,
  encryptionKey: string,
): Promise<void> {
  await govern(consortium, approvers, ProposalAction.RemoveMember, proposalParams.removeMember(member.address));
  await govern(
    consortium,
    approvers,
    ProposalAction.AddMember,
    proposalParams.addMember(member.address, name, encryptionKey),
  );
}

import { AbiCoder } from "ethers";
import type { JuryRules } from "../jury/rules";

/** IConsortium.ProposalAction, in declaration order. */
export const ProposalAction = {
  AddMember: 0,
  RemoveMember: 1,
  RotateMemberKeys: 2,
  GrantRole: 3,
  RevokeRole: 4,
  SetThreshold: 5,
  Pause: 6,
  Unpause: 7,
  SetFeeRate: 8,
  SetJuryRules: 9,
} as const;

const coder = AbiCoder.defaultAbiCoder();

/** ABI-encoded `params` of each proposal action, as Consortium decodes them. */
export const proposalParams = {
  addMember: (account: string, name: string, encryptionKey: string) =>
    coder.encode(["address", "string", "bytes"], [account, name, encryptionKey]),
  removeMember: (account: string) => coder.encode(["address"], [account]),
  rotateMemberKeys: (account: string, newAccount: string, encryptionKey: string) =>
    coder.encode(["address", "address", "bytes"], [account, newAccount, encryptionKey]),
  role: (role: string, account: string) => coder.encode(["bytes32", "address"], [role, account]),
  threshold: (threshold: number) => coder.encode(["uint256"], [threshold]),
  feeRate: (basisPoints: number) => coder.encode(["uint256"], [basisPoints]),
  juryRules: (r: JuryRules) =>
    coder.encode(
      ["tuple(uint32,uint32,uint32,uint32,uint32,uint32,uint16)"],
      [
        [
          r.qualificationSeconds,
          r.votingSeconds,
          r.stallSeconds,
          r.minPoolSize,
          r.rosterSize,
          r.minValidVotes,
          r.majorityBps,
        ],
      ],
    ),
  none: "0x",
};

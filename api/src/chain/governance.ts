import { AbiCoder } from "ethers";

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
  none: "0x",
};

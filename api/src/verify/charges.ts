/**
 * A period's bill and a member's charge, checked against the chain alone: shared by the CLI and the
 * verifier page (no Node APIs here). The gateway serves a charge's amount and proof; only the chain
 * says whether they hold.
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { keccak256, toUtf8Bytes, type Provider } from "ethers";
import {
  AnnouncementRegistry__factory,
  ChargeRegistry__factory,
  ClaimRegistry__factory,
} from "../../../typechain-types";
import type { ConsortiumDescriptor } from "./descriptor";
import { inRanges } from "../chain/logRanges";

/** The charge tree's leaf: (period, member hash, amount), hashed as StandardMerkleTree hashes leaves. */
export const CHARGE_LEAF_ENCODING = ["uint256", "bytes32", "uint256"] as const;
export const CHARGE_STATUS = ["none", "pending", "confirmed", "rejected", "skipped"] as const;

/** Whether `proof` puts member `memberHash`'s `amount` in period `period`'s tree of root `root`. */
export function verifyChargeProof(
  root: string,
  charge: { period: bigint; memberHash: string; amount: bigint; proof: string[] },
): boolean {
  try {
    const leaf = [charge.period, charge.memberHash, charge.amount];
    return StandardMerkleTree.verify(root, [...CHARGE_LEAF_ENCODING], leaf, charge.proof);
  } catch {
    return false; // a malformed proof or value proves nothing
  }
}

export interface PeriodBill {
  period: bigint;
  status: (typeof CHARGE_STATUS)[number];
  start: number;
  end: number;
  root: string;
  memberCount: bigint;
  total: bigint;
  fee: bigint;
  charged: bigint;
  carriedOut: bigint;
  /** The claims paid in the period, from their ClaimPaid events: what the bill pays for. */
  paid: { claimId: bigint; amount: bigint; time: number }[];
}

/** A period's charges as the chain has them, with the claims paid in it. */
export async function readPeriodBill(
  provider: Provider,
  descriptor: Pick<ConsortiumDescriptor, "contracts" | "deploymentBlock">,
  period: bigint,
): Promise<PeriodBill> {
  const { contracts } = descriptor;
  const charges = ChargeRegistry__factory.connect(contracts.chargeRegistry, provider);
  const periods = AnnouncementRegistry__factory.connect(contracts.announcementRegistry, provider);
  const claims = ClaimRegistry__factory.connect(contracts.claimRegistry, provider);
  const [c, [start, end], head] = await Promise.all([
    charges.charges(period),
    periods.periodBounds(period),
    provider.getBlockNumber(),
  ]);
  const paid: PeriodBill["paid"] = [];
  const logs = await inRanges(descriptor.deploymentBlock, head, (from, to) =>
    claims.queryFilter(claims.filters.ClaimPaid(), from, to),
  );
  for (const log of logs) {
    const time = (await provider.getBlock(log.blockNumber))!.timestamp;
    if (time >= start && time < end) paid.push({ claimId: log.args.claimId, amount: log.args.amount, time });
  }
  return {
    period,
    status: CHARGE_STATUS[Number(c.status)],
    start: Number(start),
    end: Number(end),
    root: c.root,
    memberCount: c.memberCount,
    total: c.total,
    fee: c.fee,
    charged: c.charged,
    carriedOut: c.carriedOut,
    paid,
  };
}

/**
 * The manifest CID of a period's current proposal: the last ChargesProposed event of the period
 * whose CID hashes to `manifestCidHash` as stored on chain (an event of a replaced proposal does not).
 */
export async function anchoredManifestCid(
  provider: Provider,
  descriptor: Pick<ConsortiumDescriptor, "contracts" | "deploymentBlock">,
  period: bigint,
  manifestCidHash: string,
): Promise<string | undefined> {
  const charges = ChargeRegistry__factory.connect(descriptor.contracts.chargeRegistry, provider);
  const logs = await inRanges(
    descriptor.deploymentBlock,
    "latest",
    (from, to) => charges.queryFilter(charges.filters.ChargesProposed(period), from, to),
    await provider.getBlockNumber(),
  );
  return logs.map((log) => log.args.manifestCid).findLast((cid) => keccak256(toUtf8Bytes(cid)) === manifestCidHash);
}

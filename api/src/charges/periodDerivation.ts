/**
 * A period's charges derived from the chain and the membership batches alone: the same code runs in
 * the gateway (to propose), in every validator (to judge) and in a gateway rebuilding a period it
 * lost. Nothing the gateway says enters it.
 */
import { rmSync } from "node:fs";
import type { Provider } from "ethers";
import {
  AnnouncementRegistry__factory,
  ChargeRegistry__factory,
  ClaimRegistry__factory,
  MembershipRegistry__factory,
} from "../../../typechain-types";
import type { ContractAddresses } from "../config";
import type { BulkKeccak } from "./hasher";
import { ContentTooLargeError, InvalidCidError } from "../store/errors";
import type { Bill } from "./apportion";
import { buildPeriodCharges, type BuiltCharges } from "./periodCharges";
import { MembershipBatchError, checkMembershipBatch, deriveEligibleSet, readMembershipBatches } from "./membership";

export interface ChargeChain {
  provider: Provider;
  contracts: ContractAddresses;
  deploymentBlock: number;
  /**
   * A membership batch's bytes by CID, verified by the fetcher, at most MAX_MEMBERSHIP_BATCH_BYTES
   * (ContentTooLargeError beyond); throws while unreachable.
   */
  fetch(cid: string): Promise<Uint8Array>;
}

/** The period facts the chain fixes once the period has closed. */
export interface PeriodFacts {
  period: bigint;
  closesAt: number;
  payouts: bigint;
  paidClaims: bigint;
  /** Most a member pays this period; undefined when uncapped. */
  cap: bigint | undefined;
  waitingSeconds: number;
  /** Membership batches recorded before the close: the ones that decide the eligible set. */
  membershipBatches: number;
}

export async function readPeriodFacts(chain: ChargeChain, period: bigint): Promise<PeriodFacts> {
  const { provider, contracts } = chain;
  const periods = AnnouncementRegistry__factory.connect(contracts.announcementRegistry, provider);
  const charges = ChargeRegistry__factory.connect(contracts.chargeRegistry, provider);
  const [start, end] = await periods.periodBounds(period);
  const [[payouts, paidClaims], capPerPaidClaim, waitingSeconds, membershipBatches] = await Promise.all([
    ClaimRegistry__factory.connect(contracts.claimRegistry, provider).paidBetween(start, end),
    charges.capPerPaidClaim(),
    charges.waitingSeconds(),
    MembershipRegistry__factory.connect(contracts.membershipRegistry, provider).batchesBefore(end),
  ]);
  return {
    period,
    closesAt: Number(end),
    payouts,
    paidClaims,
    cap: capPerPaidClaim === 0n ? undefined : capPerPaidClaim * paidClaims,
    waitingSeconds: Number(waitingSeconds),
    membershipBatches: Number(membershipBatches),
  };
}

/**
 * The membership changes of every batch seen so far, decoded once: batches never change. A batch
 * whose file is not whole, known records changes nothing (the rule every member applies alike).
 */
export class MembershipLedger {
  private readonly _records = new Map<number, Uint8Array>();

  constructor(private readonly _chain: ChargeChain) {}

  /** The first `count` batches' times and records, in order. */
  async first(count: number): Promise<{ recordedAt: number; records: Uint8Array }[]> {
    if (count === 0) return [];
    const batches = (
      await readMembershipBatches(
        this._chain.provider,
        this._chain.contracts.membershipRegistry,
        this._chain.deploymentBlock,
      )
    ).slice(0, count);
    if (batches.length < count) throw new Error(`${batches.length} membership batches visible, ${count} recorded`);
    const out = [];
    for (const batch of batches) {
      let records = this._records.get(batch.index);
      if (!records) {
        try {
          records = checkMembershipBatch(await this._chain.fetch(batch.cid));
        } catch (error) {
          // A malformed file, a CID that does not parse or a file over the limit is a malformed batch
          // for every member alike; anything else (unreachable) is tried again later.
          const malformed =
            error instanceof MembershipBatchError ||
            error instanceof InvalidCidError ||
            error instanceof ContentTooLargeError;
          if (!malformed) throw error;
          records = new Uint8Array(0);
        }
        this._records.set(batch.index, records);
      }
      out.push({ recordedAt: batch.recordedAt, records });
    }
    return out;
  }
}

export interface DerivedPeriod {
  facts: PeriodFacts;
  bill: Bill;
  built: BuiltCharges;
}

/**
 * Derives period `period`'s eligible set and charges for a bill of `total` into `dir` (replacing
 * what is there). The manifest records how many membership batches the set came from.
 */
export async function derivePeriodCharges(
  chain: ChargeChain,
  ledger: MembershipLedger,
  keccak: BulkKeccak,
  period: bigint,
  total: bigint,
  dir: string,
): Promise<DerivedPeriod> {
  const facts = await readPeriodFacts(chain, period);
  const eligible = deriveEligibleSet(await ledger.first(facts.membershipBatches), facts.closesAt, facts.waitingSeconds);
  rmSync(dir, { recursive: true, force: true });
  const bill: Bill = { period, total, cap: facts.cap };
  const built = await buildPeriodCharges(keccak, bill, eligible, dir, { membershipBatches: facts.membershipBatches });
  return { facts, bill, built };
}

import { toBeHex, zeroPadValue, type LogDescription, type Provider } from "ethers";
import { ClaimRegistry__factory, JuryCourt__factory } from "../../../typechain-types";
import type { ConsortiumDescriptor } from "./descriptor";

/** One public event of a claim's life, as the chain recorded it. */
export interface TimelineEntry {
  blockNumber: number;
  /** Unix seconds of its block. */
  time: number;
  txHash: string;
  event: string;
  args: Record<string, string | number | boolean>;
}

const LOG_RANGE = 10_000;

/** A parsed event's arguments by name, uint256 values as exact decimal strings. */
export function eventArgs(parsed: LogDescription): Record<string, string | number | boolean> {
  return Object.fromEntries(
    parsed.fragment.inputs.map((input, i) => {
      const value = parsed.args[i] as unknown;
      return [input.name, typeof value === "bigint" ? value.toString() : (value as string | number | boolean)];
    }),
  );
}
const claims = ClaimRegistry__factory.createInterface();
const jury = JuryCourt__factory.createInterface();

/**
 * A claim's public timeline from the chain alone: filing, review, every member's endorsement, the
 * decision with its evidence-set root, dispute, the jury case and its confirmations, payout. Every
 * ClaimRegistry and JuryCourt event names the claim as its first indexed topic, so one log query (per
 * block range) finds them all.
 */
export async function claimTimeline(
  provider: Provider,
  descriptor: Pick<ConsortiumDescriptor, "contracts" | "deploymentBlock">,
  claimId: bigint,
): Promise<TimelineEntry[]> {
  const head = await provider.getBlockNumber();
  const topic = zeroPadValue(toBeHex(claimId), 32);
  const logs = [];
  for (let from = descriptor.deploymentBlock; from <= head; from += LOG_RANGE) {
    const last = from + LOG_RANGE > head;
    logs.push(
      ...(await provider.getLogs({
        address: [descriptor.contracts.claimRegistry, descriptor.contracts.juryCourt],
        topics: [null, topic],
        fromBlock: from,
        // The head read above may be a moment old (providers cache it briefly): the last range is open.
        toBlock: last ? "latest" : from + LOG_RANGE - 1,
      })),
    );
  }
  const times = new Map<number, number>();
  for (const blockNumber of new Set(logs.map((l) => l.blockNumber)))
    times.set(blockNumber, (await provider.getBlock(blockNumber))?.timestamp ?? 0);
  const claimRegistry = descriptor.contracts.claimRegistry.toLowerCase();
  return logs.flatMap((log) => {
    const parsed = (log.address.toLowerCase() === claimRegistry ? claims : jury).parseLog(log);
    if (!parsed) return [];
    return [
      {
        blockNumber: log.blockNumber,
        time: times.get(log.blockNumber)!,
        txHash: log.transactionHash,
        event: parsed.name,
        args: eventArgs(parsed),
      },
    ];
  });
}

/**
 * A jury case as the chain states it, for everyone who must not trust the gateway: the juror's CLI,
 * the validators, the public recount. Everything here is read from the JuryCourt (state, rules, keys
 * in publication order, reveals in reveal order) or from its events (the pool and ballot-set CIDs).
 */
import type { Provider } from "ethers";
import { JuryCourt__factory, type JuryCourt } from "../../../typechain-types";
import { juryRulesFrom, type JuryRules } from "./rules";
import { Sortition, drawRoster, poolManifestSchema, type PoolManifest } from "./roster";
import type { CaseFacts } from "./recount";
import { inRanges } from "../chain/logRanges";
import { x25519PublicKey } from "./ballotKeys";

const hexBytes = (hex: string) => Buffer.from(hex.slice(2), "hex");

async function headOf(court: JuryCourt): Promise<number> {
  return court.runner!.provider!.getBlockNumber();
}

export const CASE_STATUS = ["None", "Drawing", "Voting", "Sealed", "Tallied", "Decided", "Inconclusive"] as const;
export type CaseStatusName = (typeof CASE_STATUS)[number];

/** Whether the round's ballot set is sealed on chain: only then can it be fetched, proven or counted. */
export function ballotsSealed(view: { status: CaseStatusName }): boolean {
  return ["Sealed", "Tallied", "Decided", "Inconclusive"].includes(view.status);
}

export interface JuryCaseView {
  claimId: string;
  status: CaseStatusName;
  round: number;
  poolId: number;
  poolSize: number;
  poolRoot: string;
  keyThreshold: number;
  keyCount: number;
  openedAt: number;
  /** Unix seconds, pauses included; 0 until drawn. */
  votingClosesAt: number;
  restartableAt: number;
  seedBlock: number;
  seed: string;
  ballotsRoot: string;
  ballotCount: number;
  upholdVotes: number;
  overturnVotes: number;
  overturned: boolean;
  tallyHash: string;
  rules: JuryRules;
  /** Ballot keys in publication order: share i + 1 of a ballot is for key i. */
  ballotKeys: { validator: string; publicKey: string }[];
  /** Revealed secret keys in reveal order, with their 1-based publication index. */
  revealedKeys: { index: number; secretKey: string }[];
}

export function juryCourtAt(address: string, provider: Provider): JuryCourt {
  return JuryCourt__factory.connect(address, provider);
}

/** The case of `claimId`, or undefined if none was opened. */
export async function readJuryCase(court: JuryCourt, claimId: bigint): Promise<JuryCaseView | undefined> {
  let c;
  try {
    c = await court.juryCase(claimId);
  } catch (error) {
    if (
      String((error as { data?: unknown }).data ?? error).includes(
        court.interface.getError("JuryCourtUnknownCase")!.selector,
      )
    )
      return undefined;
    throw error;
  }
  const [rules, closesAt, restartable, [validators, keys], [indexes, secrets]] = await Promise.all([
    court.caseRules(claimId),
    court.votingClosesAt(claimId),
    court.restartableAt(claimId),
    court.ballotKeys(claimId),
    court.revealedKeys(claimId),
  ]);
  return {
    claimId: claimId.toString(),
    status: CASE_STATUS[Number(c.status)],
    round: Number(c.round),
    poolId: Number(c.poolId),
    poolSize: Number(c.poolSize),
    poolRoot: c.poolRoot,
    keyThreshold: Number(c.keyThreshold),
    keyCount: Number(c.keyCount),
    openedAt: Number(c.openedAt),
    votingClosesAt: Number(closesAt),
    restartableAt: Number(restartable),
    seedBlock: Number(c.seedBlock),
    seed: c.seed,
    ballotsRoot: c.ballotsRoot,
    ballotCount: Number(c.ballotCount),
    upholdVotes: Number(c.upholdVotes),
    overturnVotes: Number(c.overturnVotes),
    overturned: c.overturned,
    tallyHash: c.tallyHash,
    rules: juryRulesFrom(rules),
    ballotKeys: validators.map((validator, i) => ({ validator, publicKey: keys[i] })),
    revealedKeys: indexes.map((index, i) => ({ index: Number(index), secretKey: secrets[i] })),
  };
}

/** The manifest CID the gateway gave when proposing pool `poolId`. */
export async function poolCid(court: JuryCourt, poolId: number, fromBlock: number): Promise<string> {
  const logs = await inRanges(
    fromBlock,
    "latest",
    (a, b) => court.queryFilter(court.filters.PoolProposed(poolId), a, b),
    await headOf(court),
  );
  if (logs.length === 0) throw new Error(`pool ${poolId} was never proposed`);
  return logs[0].args.cid;
}

/** The ballot-set manifest CID sealed for the case's `round`. */
export async function ballotsCid(court: JuryCourt, claimId: bigint, round: number, fromBlock: number): Promise<string> {
  const logs = await inRanges(
    fromBlock,
    "latest",
    (a, b) => court.queryFilter(court.filters.BallotsSealed(claimId), a, b),
    await headOf(court),
  );
  const sealed = logs.find((log) => Number(log.args.round) === round);
  if (!sealed) throw new Error(`claim ${claimId} round ${round} has no sealed ballots`);
  return sealed.args.ballotsCid;
}

export function parsePoolManifest(bytes: Uint8Array): PoolManifest {
  return poolManifestSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
}

/** The roster of a drawn case: voter to pool index, by the draw rule. */
export function rosterOf(view: JuryCaseView, pool: PoolManifest): Map<string, number> {
  const sortition = new Sortition(
    view.seed,
    view.poolSize,
    view.rules.rosterSize,
    view.openedAt - view.rules.qualificationSeconds,
  );
  return drawRoster(pool, sortition);
}

/**
 * What a recount needs from the chain: the first M revealed keys that match their published public
 * keys open every ballot (a validator revealing a wrong key cannot spoil the count, only skip its turn).
 */
export function caseFacts(
  view: JuryCaseView,
  chainId: bigint,
  juryCourt: string,
  roster: Map<string, number>,
): CaseFacts {
  return {
    chainId: chainId.toString(),
    juryCourt,
    claimId: view.claimId,
    round: view.round,
    deadline: view.votingClosesAt,
    keyCount: view.keyCount,
    roster: [...roster],
    revealed: view.revealedKeys
      .map((r) => ({ index: r.index, secretKey: r.secretKey, publicKey: view.ballotKeys[r.index - 1].publicKey }))
      .filter((r) => `0x${x25519PublicKey(hexBytes(r.secretKey)).toString("hex")}` === r.publicKey.toLowerCase())
      .slice(0, view.keyThreshold),
  };
}

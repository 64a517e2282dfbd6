/**
 * Counting a sealed ballot set: what the gateway does to submit a tally and what every validator and
 * anyone else does to check it. A ballot counts when its juror is on the drawn roster at the pool
 * index it names, its signature is the juror's over (claim, round, juror, sequence, envelope hash),
 * it arrived by the deadline, and it opens under the first M revealed ballot keys to a valid choice.
 * Anything else is listed as invalid and not counted. The set as a whole must be what was sealed
 * (root and count) and hold one ballot per juror, or there is no count at all.
 */
import { Worker } from "node:worker_threads";
import { cpus } from "node:os";
import { join } from "node:path";
import { JurySignatures } from "./ballot";
import { openChoice, openingKeys, type OpeningKeys } from "./ballotKeys";
import { ballotSetRoot, decodeBallotSet, envelopeHash, MalformedBallotSet, type StoredBallot } from "./ballotSet";

/** The facts of a case round, as the chain states them; plain data, so workers can take it. */
export interface CaseFacts {
  chainId: string;
  juryCourt: string;
  claimId: string;
  round: number;
  /** Voting deadline, Unix seconds. */
  deadline: number;
  keyCount: number;
  /** Voter (lowercase) to pool index, for every juror drawn. */
  roster: [string, number][];
  /** The first M keys revealed on chain, with their 1-based publication index, 0x-hex. */
  revealed: { index: number; secretKey: string; publicKey: string }[];
}

export interface InvalidBallot {
  juror: string;
  reason: string;
}

export interface BallotCount {
  upholdVotes: number;
  overturnVotes: number;
  invalid: InvalidBallot[];
}

export interface Recount extends BallotCount {
  root: string;
  count: number;
}

export class BallotSetRejected extends Error {}

function judge(
  b: StoredBallot,
  facts: CaseFacts,
  roster: Map<string, number>,
  signatures: JurySignatures,
  keys: OpeningKeys,
): number | string {
  const juror = b.juror.toLowerCase();
  if (roster.get(juror) !== b.poolIndex) return "not on the roster at that pool index";
  if (b.receivedAt > facts.deadline) return "received after the deadline";
  let signer: string;
  try {
    signer = signatures.ballotSigner(
      {
        claimId: BigInt(facts.claimId),
        round: facts.round,
        juror,
        sequence: b.sequence,
        envelopeHash: envelopeHash(b.envelope),
      },
      b.signature,
    );
  } catch {
    return "malformed signature";
  }
  if (signer !== juror) return "not signed by the juror";
  const choice = openChoice(b.envelope, keys, {
    chainId: BigInt(facts.chainId),
    juryCourt: facts.juryCourt,
    claimId: BigInt(facts.claimId),
    round: facts.round,
    juror,
  });
  return choice === undefined ? "does not open to a choice" : choice;
}

/** Counts `ballots` in this thread. */
export function countBallots(ballots: StoredBallot[], facts: CaseFacts): BallotCount {
  const roster = new Map(facts.roster);
  const signatures = new JurySignatures(BigInt(facts.chainId), facts.juryCourt);
  const keys = openingKeys(
    facts.revealed.map((r) => ({
      index: r.index,
      secretKey: Buffer.from(r.secretKey.slice(2), "hex"),
      publicKey: Buffer.from(r.publicKey.slice(2), "hex"),
    })),
    facts.keyCount,
  );
  const count: BallotCount = { upholdVotes: 0, overturnVotes: 0, invalid: [] };
  for (const b of ballots) {
    const verdict = judge(b, facts, roster, signatures, keys);
    if (verdict === 0) count.upholdVotes++;
    else if (verdict === 1) count.overturnVotes++;
    else count.invalid.push({ juror: b.juror, reason: String(verdict) });
  }
  return count;
}

const WORKER = join(__dirname, "recountWorker.ts");
/** Below this many ballots a worker's start-up costs more than it saves. */
const MIN_PER_WORKER = 5_000;

function countInWorker(ballots: StoredBallot[], facts: CaseFacts): Promise<BallotCount> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `require("ts-node").register({ transpileOnly: true }); require(${JSON.stringify(WORKER)});`,
      { eval: true, workerData: { ballots, facts } },
    );
    worker.once("message", (result: BallotCount) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

/** Counts across worker threads (one per core, for large sets): signatures and decryption bound it. */
export async function countBallotsParallel(
  ballots: StoredBallot[],
  facts: CaseFacts,
  threads = cpus().length,
): Promise<BallotCount> {
  const parts = Math.max(1, Math.min(threads, Math.floor(ballots.length / MIN_PER_WORKER)));
  if (parts === 1) return countBallots(ballots, facts);
  const size = Math.ceil(ballots.length / parts);
  const results = await Promise.all(
    Array.from({ length: parts }, (_, i) => countInWorker(ballots.slice(i * size, (i + 1) * size), facts)),
  );
  return {
    upholdVotes: results.reduce((n, r) => n + r.upholdVotes, 0),
    overturnVotes: results.reduce((n, r) => n + r.overturnVotes, 0),
    invalid: results.flatMap((r) => r.invalid),
  };
}

/**
 * Recounts a ballot set manifest against what was sealed on chain. Throws {@link BallotSetRejected}
 * when the set itself is not the sealed one or breaks its form (wrong case, a juror twice, unsorted).
 */
export async function recountBallotSet(
  manifest: Buffer,
  facts: CaseFacts,
  sealed: { root: string; count: number },
  threads?: number,
): Promise<Recount> {
  let decoded;
  try {
    decoded = decodeBallotSet(manifest);
  } catch (error) {
    if (error instanceof MalformedBallotSet) throw new BallotSetRejected(error.message);
    throw error;
  }
  const { header, ballots } = decoded;
  if (header.claimId !== facts.claimId || header.round !== facts.round || header.keyCount !== facts.keyCount)
    throw new BallotSetRejected("the manifest is for another case, round or key set");
  for (let i = 1; i < ballots.length; i++)
    if (ballots[i - 1].juror >= ballots[i].juror)
      throw new BallotSetRejected(`juror ${ballots[i].juror} twice or out of order`);
  if (ballots.length !== sealed.count)
    throw new BallotSetRejected(`${ballots.length} ballots in the manifest, ${sealed.count} sealed`);
  const root = ballotSetRoot(ballots);
  if (root !== sealed.root) throw new BallotSetRejected(`manifest root ${root}, sealed ${sealed.root}`);
  const count = await countBallotsParallel(ballots, facts, threads);
  return { ...count, root, count: ballots.length };
}

import type { Provider } from "ethers";
import type { ConsortiumDescriptor } from "../verify/descriptor";
import { DomainError } from "../errors";
import {
  ballotsCid,
  ballotsSealed,
  caseFacts,
  juryCourtAt,
  parsePoolManifest,
  poolCid,
  readJuryCase,
  rosterOf,
} from "./caseReader";
import { buildPoolTree } from "./roster";
import { recountBallotSet, type Recount } from "./recount";

/** Fetches content by CID, verifying it (a trustless gateway client, or the store). */
export type VerifiedFetch = (cid: string) => Promise<Uint8Array>;

export interface PublicRecount extends Recount {
  claimId: string;
  round: number;
  status: string;
  /** The tally on chain, once submitted. */
  onChain?: { upholdVotes: number; overturnVotes: number };
  /** The recount equals the tally on chain. */
  matches?: boolean;
}

/**
 * Anyone's recount of a case from public data only: the case, its rules, keys and reveals from the
 * chain; the pool and the sealed ballot set from IPFS by the CIDs anchored on chain, checked against
 * the anchored roots. Throws BALLOTS_NOT_SEALED before the seal and KEYS_NOT_REVEALED before M keys
 * are revealed (no one, the recounter included, can read a ballot before then).
 */
export async function recountCase(
  provider: Provider,
  descriptor: ConsortiumDescriptor,
  claimId: bigint,
  fetch: VerifiedFetch,
  threads?: number,
): Promise<PublicRecount> {
  const court = juryCourtAt(descriptor.contracts.juryCourt, provider);
  const view = await readJuryCase(court, claimId);
  if (!view) throw new DomainError("JURY_CASE_NOT_FOUND", `claim ${claimId} has no jury case`);
  if (!ballotsSealed(view))
    throw new DomainError("BALLOTS_NOT_SEALED", `claim ${claimId}'s jury is ${view.status}: nothing sealed to count`);
  const pool = parsePoolManifest(await fetch(await poolCid(court, view.poolId, descriptor.deploymentBlock)));
  if (buildPoolTree(pool).root !== view.poolRoot)
    throw new DomainError("POOL_MISMATCH", "the pool manifest does not give the pool root on chain");
  const facts = caseFacts(view, BigInt(descriptor.chainId), descriptor.contracts.juryCourt, rosterOf(view, pool));
  if (facts.revealed.length < view.keyThreshold)
    throw new DomainError(
      "KEYS_NOT_REVEALED",
      `${facts.revealed.length} of the ${view.keyThreshold} ballot keys needed are revealed: the ballots cannot be opened yet`,
    );
  const manifest = await fetch(await ballotsCid(court, claimId, view.round, descriptor.deploymentBlock));
  const recount = await recountBallotSet(
    Buffer.from(manifest),
    facts,
    { root: view.ballotsRoot, count: view.ballotCount },
    threads,
  );
  const tallied = ["Tallied", "Decided", "Inconclusive"].includes(view.status);
  return {
    ...recount,
    claimId: view.claimId,
    round: view.round,
    status: view.status,
    ...(tallied
      ? {
          onChain: { upholdVotes: view.upholdVotes, overturnVotes: view.overturnVotes },
          matches: recount.upholdVotes === view.upholdVotes && recount.overturnVotes === view.overturnVotes,
        }
      : {}),
  };
}

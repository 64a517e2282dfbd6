/** The member jury's rules as the Consortium holds them (IConsortium.JuryRules). */
export interface JuryRules {
  qualificationSeconds: number;
  votingSeconds: number;
  stallSeconds: number;
  minPoolSize: number;
  rosterSize: number;
  minValidVotes: number;
  majorityBps: number;
}

const DAY = 24 * 3600;

/**
 * Production defaults, after the plan this project serves: jurors qualified 30 days before the case,
 * a 24-hour vote, more than 1,000 valid votes, a simple majority to pay. Half a million jurors are
 * drawn in expectation from a pool of at least a million (its first case drew 250,000 votes).
 */
export const PRODUCTION_JURY_RULES: JuryRules = {
  qualificationSeconds: 30 * DAY,
  votingSeconds: DAY,
  stallSeconds: 7 * DAY,
  minPoolSize: 1_000_000,
  rosterSize: 500_000,
  minValidVotes: 1_001,
  majorityBps: 5_000,
};

/** Reads the rules from a contract's tuple result (bigint fields) into plain numbers. */
export function juryRulesFrom(tuple: {
  qualificationSeconds: bigint;
  votingSeconds: bigint;
  stallSeconds: bigint;
  minPoolSize: bigint;
  rosterSize: bigint;
  minValidVotes: bigint;
  majorityBps: bigint;
}): JuryRules {
  return {
    qualificationSeconds: Number(tuple.qualificationSeconds),
    votingSeconds: Number(tuple.votingSeconds),
    stallSeconds: Number(tuple.stallSeconds),
    minPoolSize: Number(tuple.minPoolSize),
    rosterSize: Number(tuple.rosterSize),
    minValidVotes: Number(tuple.minValidVotes),
    majorityBps: Number(tuple.majorityBps),
  };
}

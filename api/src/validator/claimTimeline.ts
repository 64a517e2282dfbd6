/** A position in the chain's history: block, then log index within it. */
export interface ChainPosition {
  blockNumber: number;
  logIndex: number;
}

interface ClaimHistory {
  claimant: string;
  filedAt: ChainPosition;
  /** State transitions in chain order. */
  transitions: { at: ChainPosition; to: number }[];
}

function before(a: ChainPosition, b: ChainPosition): boolean {
  return a.blockNumber < b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex < b.logIndex);
}

/**
 * Every claim's claimant and state transitions, built from ClaimRegistry events as a validator follows
 * the chain, so it can answer "whose claim was this, and did it take evidence, at the moment this
 * batch was anchored" from the log itself: no archive-state read per claim, and the same answer for
 * every validator whenever it asks.
 */
export class ClaimTimeline {
  private readonly _claims = new Map<string, ClaimHistory>();

  filed(claimId: string, claimant: string, at: ChainPosition): void {
    this._claims.set(claimId, { claimant: claimant.toLowerCase(), filedAt: at, transitions: [] });
  }

  stateChanged(claimId: string, to: number, at: ChainPosition): void {
    this._claims.get(claimId)?.transitions.push({ at, to });
  }

  /** The claim as it stood just before `at`, or undefined if it was not filed by then. */
  at(claimId: string, at: ChainPosition): { claimant: string; state: number } | undefined {
    const claim = this._claims.get(claimId);
    if (!claim || !before(claim.filedAt, at)) return undefined;
    let state = 0;
    for (const t of claim.transitions) {
      if (!before(t.at, at)) break;
      state = t.to;
    }
    return { claimant: claim.claimant, state };
  }

  clear(): void {
    this._claims.clear();
  }
}

import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { id } from "ethers";
import { DISPUTE_WINDOW, deployAidProofFixture, juryCourtSigner, type AidProofFixture } from "../fixtures";
import type { ClaimRegistry } from "../../typechain-types";

const State = { None: 0, Filed: 1, UnderReview: 2, Approved: 3, Rejected: 4, Disputed: 5, Paid: 6 } as const;
const THRESHOLD = 2;
const ROOTS = [id("root-a"), id("root-b")];
const REASON = id("reason document");

interface ModelClaim {
  state: number;
  amount: bigint;
  disputed: boolean;
  decidedAt: number;
  /** Each validator's current endorsement: a new one replaces it. */
  endorsed: Map<number, string>;
  votes: Map<string, number>;
}

interface Model {
  claims: ModelClaim[];
}

interface Real {
  f: AidProofFixture;
  claims: ClaimRegistry;
  jury: HardhatEthersSigner;
}

type Outcome = { error: string } | { ok: () => void };

/** Sends the call, then checks the contract did exactly what the model predicted. */
async function expectOutcome(call: () => Promise<unknown>, outcome: Outcome, real: Real): Promise<void> {
  if ("error" in outcome) {
    await expect(call()).to.be.revertedWithCustomError(real.claims, outcome.error);
  } else {
    await call();
    outcome.ok();
  }
}

function claimAt(m: Model, index: number): ModelClaim | undefined {
  return m.claims[index - 1];
}

/** A plain transition: the claim must exist and be in `from`; then `apply` is what changes. */
function transition(c: ModelClaim | undefined, from: number, apply: (c: ModelClaim) => void): Outcome {
  if (!c) return { error: "ClaimRegistryUnknownClaim" };
  if (c.state !== from) return { error: "ClaimRegistryInvalidTransition" };
  return { ok: () => apply(c) };
}

class FileCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly amount: bigint) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const outcome: Outcome =
      this.amount === 0n
        ? { error: "ClaimRegistryInvalidClaim" }
        : {
            ok: () =>
              m.claims.push({
                state: State.Filed,
                amount: this.amount,
                disputed: false,
                decidedAt: 0,
                endorsed: new Map(),
                votes: new Map(),
              }),
          };
    await expectOutcome(() => r.claims.connect(r.f.claimant).fileClaim(1, this.amount, "bafkreimeta"), outcome, r);
  }
  toString = () => `file(${this.amount})`;
}

class StartReviewCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly claimId: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = claimAt(m, this.claimId);
    const outcome = transition(c, State.Filed, (claim) => (claim.state = State.UnderReview));
    await expectOutcome(() => r.claims.connect(r.f.validators[0]).startReview(this.claimId), outcome, r);
  }
  toString = () => `startReview(${this.claimId})`;
}

class EndorseCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly claimId: number,
    readonly validator: number,
    readonly approve: boolean,
    readonly root: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = claimAt(m, this.claimId);
    const amount = this.approve ? (c?.amount ?? 1n) : 0n;
    const decision = this.approve ? 1 : 2;
    const outcome: Outcome = !c
      ? { error: "ClaimRegistryUnknownClaim" }
      : c.state !== State.UnderReview
        ? { error: "ClaimRegistryInvalidTransition" }
        : c.endorsed.get(this.validator) === `${decision}:${this.root}:${amount}`
          ? { error: "ClaimRegistryAlreadyEndorsed" }
          : {
              ok: () => {
                const key = `${decision}:${this.root}:${amount}`;
                const previous = c.endorsed.get(this.validator);
                if (previous !== undefined) c.votes.set(previous, c.votes.get(previous)! - 1);
                c.endorsed.set(this.validator, key);
                const votes = (c.votes.get(key) ?? 0) + 1;
                c.votes.set(key, votes);
                if (votes >= THRESHOLD) c.state = this.approve ? State.Approved : State.Rejected;
              },
            };
    const v = r.f.validators[this.validator];
    await expectOutcome(
      () => r.claims.connect(v).endorse(this.claimId, decision, ROOTS[this.root], amount, REASON),
      outcome,
      r,
    );
    if (c && c.state !== State.UnderReview && c.decidedAt === 0) {
      c.decidedAt = Number((await r.claims.claim(this.claimId)).decidedAt);
    }
  }
  toString = () =>
    `endorse(${this.claimId}, v${this.validator}, ${this.approve ? "approve" : "reject"}, r${this.root}, REASON)`;
}

class DisputeCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly claimId: number,
    readonly byClaimant: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = claimAt(m, this.claimId);
    const nextTimestamp = (await time.latest()) + 1;
    const outcome: Outcome = !c
      ? { error: "ClaimRegistryUnknownClaim" }
      : !this.byClaimant
        ? { error: "ClaimRegistryNotClaimant" }
        : c.disputed
          ? { error: "ClaimRegistryAlreadyDisputed" }
          : c.state === State.Approved // the model approves in full
            ? { error: "ClaimRegistryApprovedInFull" }
            : c.state !== State.Rejected
              ? { error: "ClaimRegistryInvalidTransition" }
              : nextTimestamp > c.decidedAt + DISPUTE_WINDOW
                ? { error: "ClaimRegistryDisputeWindowClosed" }
                : {
                    ok: () => {
                      c.state = State.Disputed;
                      c.disputed = true;
                    },
                  };
    const caller = this.byClaimant ? r.f.claimant : r.f.outsider;
    await expectOutcome(() => r.claims.connect(caller).dispute(this.claimId), outcome, r);
  }
  toString = () => `dispute(${this.claimId}, ${this.byClaimant ? "claimant" : "outsider"})`;
}

class JuryOutcomeCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly claimId: number,
    readonly overturned: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = claimAt(m, this.claimId);
    const outcome = transition(
      c,
      State.Disputed,
      (claim) => (claim.state = this.overturned ? State.Approved : State.Rejected),
    );
    await expectOutcome(() => r.claims.connect(r.jury).applyJuryOutcome(this.claimId, this.overturned), outcome, r);
  }
  toString = () => `jury(${this.claimId}, ${this.overturned ? "overturn" : "uphold"})`;
}

class PayoutCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly claimId: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = claimAt(m, this.claimId);
    const outcome = transition(c, State.Approved, (claim) => (claim.state = State.Paid));
    await expectOutcome(
      () => r.claims.connect(r.f.validators[0]).recordPayout(this.claimId, id("payment")),
      outcome,
      r,
    );
  }
  toString = () => `payout(${this.claimId})`;
}

class WarpCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly days: number) {}
  check = () => true;
  async run() {
    await time.increase(this.days * 24 * 3600);
  }
  toString = () => `warp(${this.days}d)`;
}

describe("ClaimRegistry (model-based)", () => {
  it("agrees with a state-machine model on random action sequences", async () => {
    const claimId = fc.integer({ min: 1, max: 3 });
    const file = fc.constantFrom(0n, 100n, 300_000n).map((a) => new FileCommand(a));
    const commands = [
      file,
      file,
      claimId.map((i) => new StartReviewCommand(i)),
      fc
        .tuple(claimId, fc.integer({ min: 0, max: 2 }), fc.boolean(), fc.integer({ min: 0, max: 1 }))
        .map(([i, v, approve, root]) => new EndorseCommand(i, v, approve, root)),
      fc.tuple(claimId, fc.boolean()).map(([i, byClaimant]) => new DisputeCommand(i, byClaimant)),
      fc.tuple(claimId, fc.boolean()).map(([i, overturned]) => new JuryOutcomeCommand(i, overturned)),
      claimId.map((i) => new PayoutCommand(i)),
      fc.constantFrom(2, 5).map((d) => new WarpCommand(d)),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: "max" }), async (cmds) => {
        const f = await loadFixture(deployAidProofFixture);
        const real: Real = { f, claims: f.claimRegistry, jury: await juryCourtSigner(f) };
        const model: Model = { claims: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        expect(await f.claimRegistry.claimCount()).to.equal(model.claims.length);
        for (const [i, c] of model.claims.entries()) {
          const onChain = await f.claimRegistry.claim(i + 1);
          expect(onChain.state, `claim ${i + 1}`).to.equal(c.state);
          expect(onChain.disputed, `claim ${i + 1} disputed`).to.equal(c.disputed);
        }
      }),
      { numRuns: 50 },
    );
  });
});

import type { ChainAdapter } from "../chain/chainAdapter";
import type { AidProofDb } from "../db/database";
import type { JuryDb } from "../db/juryDb";
import type { EvidenceStore } from "../store/evidenceStore";
import type { Logger } from "../logger";
import { ballotSetRoot, encodeBallotSet } from "./ballotSet";
import { caseFacts, type JuryCaseView } from "./caseReader";
import { countBallotsParallel } from "./recount";
import { buildPoolTree, poolManifest } from "./roster";
import type { JuryService } from "./juryService";
import { PollLoop } from "../node/pollLoop";

const DISPUTED = 5;
/** Seconds past the deadline before sealing: a ballot acknowledged at the deadline is on disk by then. */
const SEAL_MARGIN_SECONDS = 3;

/**
 * The gateway's side of each case, step by step as the chain allows: it proposes a new juror pool
 * when registrations changed, opens the case of every disputed claim, records the draw, seals the
 * ballot set after the deadline, counts once M ballot keys are revealed and submits the tally, and
 * restarts a case that ended inconclusive or stalled. Every one of these steps is open to anyone
 * (or, for pool and tally, checked by the validators), so a gateway that stops only delays a case.
 */
export class JuryCoordinator {
  private _poll: PollLoop | undefined;
  private _lastPoolRoot: string | undefined;
  /** The first pool, too, waits one interval: registrations arriving together make one pool, not many. */
  private _lastPoolAt = Date.now();
  /** The registrations the last pool (or the check that found nothing new) was built from. */
  private _poolVersion = -1;
  /** Claims whose case is decided: nothing more to do. */
  private readonly _done = new Set<string>();

  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _db: AidProofDb,
    private readonly _juryDb: JuryDb,
    private readonly _store: EvidenceStore,
    private readonly _jury: JuryService,
    private readonly _log: Logger,
    private readonly _poolIntervalMs: number,
    private readonly _pollMs = 1_000,
  ) {}

  start(): void {
    this._poll = new PollLoop(
      () => this.tick(),
      this._pollMs,
      (error) => this._log.warn({ err: error instanceof Error ? error.message : error }, "jury round failed; retrying"),
    );
    this._poll.start();
  }

  async stop(): Promise<void> {
    await this._poll?.stop();
  }

  async tick(): Promise<void> {
    await this.proposePoolIfChanged();
    for (const claim of this._db.claims({ state: DISPUTED, limit: 1_000, offset: 0 })) {
      if (this._done.has(claim.claimId)) continue;
      try {
        await this._advance(BigInt(claim.claimId));
      } catch (error) {
        this._log.warn(
          { claimId: claim.claimId, err: error instanceof Error ? error.message : error },
          "cannot advance this jury case now; retrying",
        );
      }
    }
  }

  /** Proposes the registered jurors as a new pool when they changed, at most once per interval. */
  /** Resolves with the proposed pool's root, or undefined when nothing changed. */
  async proposePoolIfChanged(force = false): Promise<string | undefined> {
    if (!force && Date.now() - this._lastPoolAt < this._poolIntervalMs) return undefined;
    const version = this._juryDb.jurorsVersion;
    if (!force && version === this._poolVersion) return undefined; // nothing registered since
    const jurors = this._juryDb.jurors();
    if (jurors.length === 0) return undefined;
    this._poolVersion = version;
    const manifest = poolManifest(jurors);
    const root = buildPoolTree(manifest).root;
    if (this._lastPoolRoot === undefined) {
      const court = this._chain.juryCourt;
      const proposed = await court.queryFilter(court.filters.PoolProposed());
      this._lastPoolRoot = proposed.at(-1)?.args.root;
    }
    if (root === this._lastPoolRoot) return undefined;
    const { cid } = await this._store.put(Buffer.from(JSON.stringify(manifest)));
    await this._chain.transact(
      () => this._chain.juryCourt.proposePool(root, manifest.entries.length, cid),
      "the pool proposal reverted",
    );
    this._lastPoolRoot = root;
    this._lastPoolAt = Date.now();
    this._log.info({ root, size: manifest.entries.length, cid }, "juror pool proposed");
    return root;
  }

  private async _advance(claimId: bigint): Promise<void> {
    const court = this._chain.juryCourt;
    const view = await this._jury.case(claimId).catch((error: { code?: string }) => {
      if (error.code === "JURY_CASE_NOT_FOUND") return undefined;
      throw error;
    });
    const now = Math.floor(Date.now() / 1000);
    const send = (what: string, tx: () => Promise<{ hash: string }>) =>
      this._chain
        .transact(tx, `the jury step "${what}" reverted`)
        .then(() => this._log.info({ claimId: claimId.toString(), step: what }, "jury step sent"));
    if (!view) {
      if ((await court.latestPool()) === 0n) return;
      return send("open case", () => court.openCase(claimId));
    }
    if (view.status === "Decided") {
      this._done.add(view.claimId);
      return;
    }
    if (view.status === "Inconclusive" || (view.restartableAt > 0 && now >= view.restartableAt))
      return send("restart case", () => court.restartCase(claimId));
    if (view.status === "Drawing") {
      const head = await this._chain.blockNumber();
      if (head > view.seedBlock && view.ballotKeys.length >= view.keyThreshold)
        return send("draw", () => court.draw(claimId));
      return;
    }
    if (view.status === "Voting" && now > view.votingClosesAt + SEAL_MARGIN_SECONDS) return this._seal(view);
    if (view.status === "Sealed") return this._tally(view);
  }

  /** The ballots the round's set holds: every juror's latest, received by the deadline. Seal and tally both count these. */
  private _sealedSet(view: JuryCaseView) {
    return this._juryDb.ballots(view.claimId, view.round).filter((b) => b.receivedAt <= view.votingClosesAt);
  }

  private async _seal(view: JuryCaseView): Promise<void> {
    const ballots = this._sealedSet(view);
    const manifest = encodeBallotSet({ claimId: view.claimId, round: view.round, keyCount: view.keyCount }, ballots);
    const { cid } = await this._store.put(manifest);
    const root = ballotSetRoot(ballots);
    await this._chain.transact(
      () => this._chain.juryCourt.sealBallots(view.claimId, root, cid, ballots.length),
      "sealing the ballots reverted",
    );
    this._log.info({ claimId: view.claimId, round: view.round, ballots: ballots.length, cid }, "ballots sealed");
  }

  private async _tally(view: JuryCaseView): Promise<void> {
    const facts = caseFacts(
      view,
      this._chain.chainId,
      this._chain.addresses.juryCourt,
      (await this._jury.rosterFor(view)) ?? new Map(),
    );
    if (facts.revealed.length < view.keyThreshold) return; // the validators have not opened the set yet
    const ballots = this._sealedSet(view);
    const count = await countBallotsParallel(ballots, facts);
    await this._chain.transact(
      () => this._chain.juryCourt.submitTally(view.claimId, count.upholdVotes, count.overturnVotes),
      "the tally reverted",
    );
    this._log.info(
      {
        claimId: view.claimId,
        round: view.round,
        uphold: count.upholdVotes,
        overturn: count.overturnVotes,
        invalid: count.invalid.length,
      },
      "tally submitted",
    );
  }
}

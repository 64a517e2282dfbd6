import type { JsonRpcProvider } from "ethers";
import type { JuryCourt, Consortium } from "../../../typechain-types";
import type { Logger } from "../logger";
import { ROLES } from "../chain/roles";
import { JurySignatures } from "../jury/ballot";
import { deriveBallotKey } from "../jury/ballotKeys";
import { ballotsCid, caseFacts, parsePoolManifest, poolCid, readJuryCase, rosterOf } from "../jury/caseReader";
import { BallotSetRejected, recountBallotSet } from "../jury/recount";
import { checkPool, type PoolManifest } from "../jury/roster";

interface ProposedPool {
  poolId: number;
  root: string;
  size: number;
  cid: string;
  firstTriedAt?: number;
  nextTryAt: number;
  attempts: number;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/**
 * A member's part in the jury, run by its validator node:
 * - checks every proposed juror pool (no voter or member twice, size, every credential signed by a
 *   GATEWAY holder, the root) and confirms the sound ones;
 * - publishes its ballot key for each case round (derived from its validator key), records the draw
 *   as soon as the seed block is mined (so the gateway cannot withhold it), reveals its key only
 *   once the ballot set is sealed;
 * - recounts every submitted tally from the sealed manifest and confirms only an exact match;
 * - restarts a case that stalled or ended inconclusive, as anyone may.
 */
export class JuryJudge {
  private _pools: ProposedPool[] = [];
  private readonly _cases = new Set<string>();
  private readonly _poolManifests = new Map<number, PoolManifest>();
  /** Tallies this member recounted and found wrong: not recounted again. */
  private readonly _refused = new Set<string>();
  private readonly _signatures: JurySignatures;

  constructor(
    private readonly _provider: JsonRpcProvider,
    private readonly _court: JuryCourt,
    private readonly _consortium: Consortium,
    private readonly _validatorKey: string,
    private readonly _chainId: bigint,
    private readonly _fromBlock: number,
    private readonly _bytes: (cid: string, maxBytes: number) => Promise<Uint8Array>,
    private readonly _transact: (send: () => Promise<{ hash: string }>) => Promise<void>,
    private readonly _log: Logger,
    private readonly _giveUpMs: number,
    private readonly _maxManifestBytes: number,
  ) {
    this._signatures = new JurySignatures(_chainId, _court.target as string);
  }

  clear(): void {
    this._pools = [];
    this._cases.clear();
    this._refused.clear();
  }

  async follow(from: number, to: number): Promise<void> {
    const [proposed, opened] = await Promise.all([
      this._court.queryFilter(this._court.filters.PoolProposed(), from, to),
      this._court.queryFilter(this._court.filters.CaseOpened(), from, to),
    ]);
    for (const log of proposed) {
      const { poolId, root, size, cid } = log.args;
      this._pools.push({ poolId: Number(poolId), root, size: Number(size), cid, nextTryAt: 0, attempts: 0 });
    }
    for (const log of opened) this._cases.add(log.args.claimId.toString());
  }

  async tick(me: string): Promise<void> {
    await this._judgePools(me);
    for (const claimId of [...this._cases]) {
      try {
        await this._advance(BigInt(claimId), me);
      } catch (error) {
        this._log.warn(
          { claimId, err: error instanceof Error ? error.message : error },
          "cannot take this jury step now; retrying",
        );
      }
    }
  }

  private async _judgePools(me: string): Promise<void> {
    for (const pool of this._pools) {
      if (Date.now() < pool.nextTryAt) continue;
      try {
        pool.firstTriedAt ??= Date.now();
        const onChain = await this._court.pool(pool.poolId);
        if (Number(onChain.status) !== 1) {
          pool.attempts = -1; // confirmed already
          continue;
        }
        const problems = await this._checkPool(pool);
        if (problems.length > 0) {
          this._log.warn({ poolId: pool.poolId, problems: problems.slice(0, 10) }, "juror pool refused");
        } else {
          await this._transact(() => this._court.confirmPool(pool.poolId));
          this._log.info({ poolId: pool.poolId, size: pool.size, validator: me }, "juror pool confirmed");
        }
        pool.attempts = -1;
      } catch (error) {
        pool.attempts += 1;
        pool.nextTryAt = Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** pool.attempts);
        this._log.warn(
          { poolId: pool.poolId, attempt: pool.attempts, err: error instanceof Error ? error.message : error },
          "cannot check this juror pool now; retrying",
        );
        if (Date.now() - pool.firstTriedAt! >= this._giveUpMs) {
          this._log.warn({ poolId: pool.poolId }, "juror pool manifest unreachable; not confirmed");
          pool.attempts = -1;
        }
      }
    }
    this._pools = this._pools.filter((p) => p.attempts >= 0);
  }

  private async _checkPool(pool: ProposedPool): Promise<string[]> {
    let manifest: PoolManifest;
    try {
      manifest = parsePoolManifest(await this._bytes(pool.cid, this._maxManifestBytes));
    } catch (error) {
      if (error instanceof SyntaxError || (error as { name?: string }).name === "ZodError")
        return ["the pool manifest is not a pool manifest"];
      throw error;
    }
    const problems = await checkPool(manifest, pool, this._signatures, (issuer) =>
      this._consortium.hasRole(ROLES.GATEWAY, issuer),
    );
    if (problems.length === 0) this._poolManifests.set(pool.poolId, manifest);
    return problems;
  }

  private async _pool(poolId: number): Promise<PoolManifest> {
    let manifest = this._poolManifests.get(poolId);
    if (!manifest) {
      const cid = await poolCid(this._court, poolId, this._fromBlock);
      manifest = parsePoolManifest(await this._bytes(cid, this._maxManifestBytes));
      this._poolManifests.set(poolId, manifest);
    }
    return manifest;
  }

  private async _advance(claimId: bigint, me: string): Promise<void> {
    const view = await readJuryCase(this._court, claimId);
    if (!view) return;
    if (view.status === "Decided") {
      this._cases.delete(view.claimId);
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    if (view.status === "Inconclusive" || (view.restartableAt > 0 && now >= view.restartableAt)) {
      await this._transact(() => this._court.restartCase(claimId));
      return;
    }
    const court = this._court.target as string;
    const mine = view.ballotKeys.findIndex((k) => k.validator.toLowerCase() === me);
    if (view.status === "Drawing") {
      if (mine < 0) {
        const { publicKey } = deriveBallotKey(this._validatorKey, court, claimId, view.round);
        await this._transact(() => this._court.publishBallotKey(claimId, `0x${publicKey.toString("hex")}`));
        return;
      }
      if ((await this._provider.getBlockNumber()) > view.seedBlock && view.ballotKeys.length >= view.keyThreshold)
        await this._transact(() => this._court.draw(claimId));
      return;
    }
    if (view.status !== "Sealed" && view.status !== "Tallied") return;
    if (mine >= 0 && mine < view.keyCount && !view.revealedKeys.some((r) => r.index === mine + 1)) {
      const { secretKey } = deriveBallotKey(this._validatorKey, court, claimId, view.round);
      await this._transact(() => this._court.revealBallotKey(claimId, `0x${secretKey.toString("hex")}`));
      this._log.info({ claimId: view.claimId, round: view.round }, "ballot key revealed");
      return;
    }
    if (view.status !== "Tallied" || this._refused.has(view.tallyHash)) return;
    const confirmed = await this._court.confirmations(claimId, view.tallyHash);
    if (confirmed.some((v) => v.toLowerCase() === me)) return;
    const facts = caseFacts(view, this._chainId, court, rosterOf(view, await this._pool(view.poolId)));
    if (facts.revealed.length < view.keyThreshold) return; // the set cannot be opened yet
    const manifest = await this._bytes(
      await ballotsCid(this._court, claimId, view.round, this._fromBlock),
      this._maxManifestBytes,
    );
    let problem: string | undefined;
    try {
      const recount = await recountBallotSet(Buffer.from(manifest), facts, {
        root: view.ballotsRoot,
        count: view.ballotCount,
      });
      if (recount.upholdVotes !== view.upholdVotes || recount.overturnVotes !== view.overturnVotes)
        problem = `recount ${recount.upholdVotes}-${recount.overturnVotes}, tally ${view.upholdVotes}-${view.overturnVotes}`;
    } catch (error) {
      if (!(error instanceof BallotSetRejected)) throw error;
      problem = error.message;
    }
    if (problem) {
      this._refused.add(view.tallyHash);
      this._log.warn({ claimId: view.claimId, round: view.round, problem }, "tally refused");
      return;
    }
    await this._transact(() => this._court.confirmTally(claimId, view.tallyHash));
    this._log.info({ claimId: view.claimId, round: view.round }, "tally confirmed after recount");
  }
}

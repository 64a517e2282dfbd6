import { isAddress } from "ethers";
import { DomainError } from "../errors";
import type { ChainAdapter } from "../chain/chainAdapter";
import { onChain } from "../chain/chainAdapter";
import type { JuryDb } from "../db/juryDb";
import type { EvidenceStore } from "../store/evidenceStore";
import { JurySignatures, type ReceiptMessage } from "./ballot";
import { envelopeLength } from "./ballotKeys";
import { buildBallotTree, envelopeHash, type StoredBallot } from "./ballotSet";
import {
  ballotsCid,
  ballotsSealed,
  parsePoolManifest,
  poolCid,
  readJuryCase,
  rosterOf,
  type JuryCaseView,
} from "./caseReader";
import type { PoolEntry, PoolManifest } from "./roster";
import { ROLES } from "../chain/roles";

export interface BallotInput {
  claimId: bigint;
  round: number;
  juror: string;
  sequence: number;
  envelope: Buffer;
  signature: string;
}

export interface BallotReceipt {
  claimId: string;
  round: number;
  juror: string;
  sequence: number;
  envelopeHash: string;
  receivedAt: number;
  /** The gateway that signed, and its EIP-712 BallotReceipt signature (JuryCourt domain). */
  gateway: string;
  signature: string;
}

interface ActiveCase {
  view: JuryCaseView;
  roster: Map<string, number>;
}

interface CachedCase {
  /** What callers get: the last settled read while a refresh of a voting case runs, else the refresh. */
  current: Promise<ActiveCase>;
  settled?: ActiveCase;
  readAt: number;
  refreshing: boolean;
}

/** How long a case's chain state is reused on the ballot path: its deadline and roster do not change. */
const CASE_TTL_MS = 2_000;

/**
 * The jury's use cases at the gateway: juror registration, the case views, and ballots. A ballot is
 * checked (open round, roster seat, envelope size, the juror's signature, a later sequence than the
 * one held), stored durably, and acknowledged with a receipt the gateway signs, so a ballot it later
 * leaves out of the sealed set is provable. Choices are sealed to the validators' keys: the gateway
 * cannot read them, and it shows no count of any kind until the tally is on chain.
 */
export class JuryService {
  private readonly _signatures: JurySignatures;
  private readonly _active = new Map<string, CachedCase>();
  private readonly _pools = new Map<number, PoolManifest>();
  private readonly _gatewayKey: Buffer;

  constructor(
    private readonly _db: JuryDb,
    private readonly _chain: ChainAdapter,
    private readonly _store: EvidenceStore,
    gatewayKey: string,
    private readonly _deploymentBlock: number,
  ) {
    this._signatures = new JurySignatures(_chain.chainId, _chain.addresses.juryCourt);
    this._gatewayKey = Buffer.from(gatewayKey.replace(/^0x/, ""), "hex");
  }

  get signatures(): JurySignatures {
    return this._signatures;
  }

  /** Registers a voting key with the platform's credential for it; it joins the next pool. */
  async registerJuror(entry: PoolEntry): Promise<PoolEntry> {
    let issuer: string;
    try {
      issuer = this._signatures.credentialSigner(entry, entry.credential);
    } catch (error) {
      throw new DomainError("INVALID_CREDENTIAL", `malformed credential signature: ${(error as Error).message}`);
    }
    if (!(await onChain(() => this._chain.consortium.hasRole(ROLES.GATEWAY, issuer))))
      throw new DomainError("INVALID_CREDENTIAL", `the credential is signed by ${issuer}, not by the platform`);
    const normalized = { ...entry, voter: entry.voter.toLowerCase(), memberHash: entry.memberHash.toLowerCase() };
    if (!(await this._db.registerJuror(normalized, Math.floor(Date.now() / 1000))))
      throw new DomainError("VOTER_KEY_TAKEN", `voter ${entry.voter} is registered for another member`);
    return normalized;
  }

  /** Claims with a jury case, from the chain's CaseOpened events. */
  async cases(): Promise<JuryCaseView[]> {
    const court = this._chain.juryCourt;
    const opened = await onChain(() => court.queryFilter(court.filters.CaseOpened(), this._deploymentBlock, "latest"));
    const claimIds = [...new Set(opened.map((log) => log.args.claimId))];
    return Promise.all(claimIds.map((id) => this.case(id)));
  }

  /** The case as the chain states it, with its pool and (once sealed) ballot-set CIDs. */
  async case(claimId: bigint): Promise<JuryCaseView & { poolCid: string; ballotsCid?: string }> {
    const view = await onChain(() => readJuryCase(this._chain.juryCourt, claimId));
    if (!view) throw new DomainError("JURY_CASE_NOT_FOUND", `claim ${claimId} has no jury case`);
    const court = this._chain.juryCourt;
    return {
      ...view,
      poolCid: await onChain(() => poolCid(court, view.poolId, this._deploymentBlock)),
      ...(ballotsSealed(view)
        ? { ballotsCid: await onChain(() => ballotsCid(court, claimId, view.round, this._deploymentBlock)) }
        : {}),
    };
  }

  /** The pool manifest of `poolId`, read by its anchored CID (cached: a CID never changes). */
  async pool(poolId: number): Promise<PoolManifest> {
    let pool = this._pools.get(poolId);
    if (!pool) {
      const cid = await onChain(() => poolCid(this._chain.juryCourt, poolId, this._deploymentBlock));
      const parts: Uint8Array[] = [];
      for await (const chunk of this._store.get(cid)) parts.push(chunk);
      pool = parsePoolManifest(Buffer.concat(parts));
      this._pools.set(poolId, pool);
    }
    return pool;
  }

  /** The drawn roster of a case (voter to pool index); undefined before the draw. */
  async rosterFor(view: JuryCaseView): Promise<Map<string, number> | undefined> {
    if (/^0x0+$/.test(view.seed)) return undefined;
    return rosterOf(view, await this.pool(view.poolId));
  }

  /**
   * The case as the ballot path needs it, read at most once per TTL: concurrent ballots share one
   * read (and one roster derivation) instead of each hitting the chain when the cache expires.
   */
  private _activeCase(claimId: bigint): Promise<ActiveCase> {
    const key = claimId.toString();
    const cached = this._active.get(key);
    if (cached && (cached.refreshing || Date.now() - cached.readAt < CASE_TTL_MS)) return cached.current;
    const refreshing = this._readActiveCase(claimId, cached?.settled);
    const entry: CachedCase = {
      current:
        cached?.settled && cached.settled.view.status === "Voting" ? Promise.resolve(cached.settled) : refreshing,
      settled: cached?.settled,
      readAt: cached?.readAt ?? 0,
      refreshing: true,
    };
    this._active.set(key, entry);
    refreshing.then(
      (active) =>
        this._active.set(key, {
          current: Promise.resolve(active),
          settled: active,
          readAt: Date.now(),
          refreshing: false,
        }),
      () => this._active.delete(key),
    );
    return cached?.settled ? entry.current : refreshing;
  }

  private async _readActiveCase(claimId: bigint, previous: ActiveCase | undefined): Promise<ActiveCase> {
    const view = await onChain(() => readJuryCase(this._chain.juryCourt, claimId));
    if (!view) throw new DomainError("JURY_CASE_NOT_FOUND", `claim ${claimId} has no jury case`);
    const roster =
      previous && previous.view.round === view.round && previous.view.seed === view.seed
        ? previous.roster
        : view.status === "Voting"
          ? rosterOf(view, await this.pool(view.poolId))
          : new Map<string, number>();
    return { view, roster };
  }

  /** Accepts a ballot; resolves with the gateway's signed receipt once the ballot is on disk. */
  async submitBallot(input: BallotInput): Promise<BallotReceipt> {
    const { view, roster } = await this._activeCase(input.claimId);
    const now = Math.floor(Date.now() / 1000);
    if (view.status !== "Voting")
      throw new DomainError("VOTING_NOT_OPEN", `claim ${input.claimId}'s jury is ${view.status}, not voting`);
    if (input.round !== view.round)
      throw new DomainError(
        "WRONG_ROUND",
        `the case is in round ${view.round}, the ballot is for round ${input.round}`,
      );
    if (now > view.votingClosesAt)
      throw new DomainError("VOTING_CLOSED", `voting closed at ${new Date(view.votingClosesAt * 1000).toISOString()}`);
    const juror = input.juror.toLowerCase();
    const poolIndex = roster.get(juror);
    if (poolIndex === undefined) throw new DomainError("NOT_A_JUROR", `${input.juror} is not on this case's roster`);
    if (input.envelope.length !== envelopeLength(view.keyCount))
      throw new DomainError(
        "ENVELOPE_MALFORMED",
        `a ballot envelope for ${view.keyCount} keys is ${envelopeLength(view.keyCount)} bytes`,
      );
    const hash = envelopeHash(input.envelope);
    const message = { claimId: input.claimId, round: input.round, juror, sequence: input.sequence, envelopeHash: hash };
    let signer: string;
    try {
      signer = this._signatures.ballotSigner(message, input.signature);
    } catch (error) {
      throw new DomainError("INVALID_SIGNATURE", `malformed ballot signature: ${(error as Error).message}`);
    }
    if (signer !== juror) throw new DomainError("INVALID_SIGNATURE", "the ballot is not signed by the juror");
    const ballot: StoredBallot = {
      juror,
      poolIndex,
      sequence: input.sequence,
      receivedAt: now,
      signature: input.signature,
      envelope: input.envelope,
    };
    const held = await this._db.putBallot(view.claimId, view.round, ballot);
    if (held.sequence !== ballot.sequence || envelopeHash(held.envelope) !== hash) {
      throw new DomainError(
        "STALE_SEQUENCE",
        `the gateway holds sequence ${held.sequence} for this juror; a replacement needs a higher one`,
      );
    }
    return this._receipt(view, held);
  }

  private _receipt(view: JuryCaseView, b: StoredBallot): BallotReceipt {
    const message: ReceiptMessage = {
      claimId: BigInt(view.claimId),
      round: view.round,
      juror: b.juror,
      sequence: b.sequence,
      envelopeHash: envelopeHash(b.envelope),
      receivedAt: b.receivedAt,
    };
    return {
      ...message,
      claimId: view.claimId,
      gateway: this._chain.gatewayAddress,
      signature: this._signatures.signReceipt(message, this._gatewayKey),
    };
  }

  /** The juror's ballot in the sealed set, with its proof against the root on chain. */
  async ballotProof(
    claimId: bigint,
    juror: string,
  ): Promise<{ leaf: [string, number, string]; proof: string[]; root: string; ballotsCid: string; round: number }> {
    if (!isAddress(juror)) throw new DomainError("VALIDATION_FAILED", "juror must be an address");
    const view = await this.case(claimId);
    if (!view.ballotsCid) throw new DomainError("BALLOTS_NOT_SEALED", `claim ${claimId}'s ballots are not sealed yet`);
    const ballots = this._db.ballots(view.claimId, view.round);
    const tree = buildBallotTree(ballots);
    if (tree.root !== view.ballotsRoot)
      throw new DomainError("BALLOTS_NOT_SEALED", "this gateway does not hold the sealed ballot set");
    const index = ballots.findIndex((b) => b.juror === juror.toLowerCase());
    if (index < 0) throw new DomainError("BALLOT_NOT_FOUND", `no ballot of ${juror} in the sealed set`);
    const leaf = tree.at(index)!;
    return { leaf, proof: tree.getProof(index), root: tree.root, ballotsCid: view.ballotsCid, round: view.round };
  }
}

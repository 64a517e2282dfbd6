import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChargeRegistry } from "../../../typechain-types";
import { CHARGE_STATUS, anchoredManifestCid } from "../verify/charges";
import { BulkKeccak } from "../charges/hasher";
import type { ChargeManifest } from "../charges/periodCharges";
import { derivePeriodCharges, MembershipLedger, type ChargeChain } from "../charges/periodDerivation";
import type { Logger } from "../logger";
import { ManifestUnreachable } from "./announcementJudge";
import { ContentTooLargeError, InvalidCidError } from "../store/errors";

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export interface ChargeVerdict {
  valid: boolean;
  problems: string[];
}

/**
 * A validator's judgment of each proposed period's charges: it derives the eligible set from the
 * membership batches it holds and the charges from the bill on chain, then checks the proposal (root,
 * member count) and the manifest behind its CID (every field, every member chunk) against its own.
 * Content it cannot fetch for `giveUpMs` makes the proposal invalid.
 */
export class ChargeJudge {
  private readonly _ledger: MembershipLedger;
  private _keccak: BulkKeccak | undefined;
  private _retry: { key: string; at: number; attempts: number; firstAt: number } | undefined;

  constructor(
    private readonly _source: ChargeChain,
    private readonly _registry: ChargeRegistry,
    private readonly _bytes: (cid: string, maxBytes: number) => Promise<Uint8Array>,
    private readonly _transact: (send: () => Promise<{ hash: string }>) => Promise<void>,
    private readonly _log: Logger,
    private readonly _giveUpMs: number,
    private readonly _maxManifestBytes: number,
  ) {
    this._ledger = new MembershipLedger(_source);
  }

  /** Judges the pending proposal of the next period, if this member has not yet. */
  async tick(me: string): Promise<void> {
    const period = await this._registry.nextPeriod();
    const proposal = await this._registry.charges(period);
    if (CHARGE_STATUS[Number(proposal.status)] !== "pending") return;
    const [valid, invalid] = await this._registry.attestations(period);
    if ([...valid, ...invalid].some((v) => v.toLowerCase() === me)) return;
    const key = `${period}:${proposal.publication}`;
    if (this._retry?.key === key && Date.now() < this._retry.at) return;
    try {
      const verdict = await this.judge(period, proposal);
      if (!verdict.valid)
        this._log.warn({ period: period.toString(), problems: verdict.problems.slice(0, 10) }, "charges are invalid");
      await this._transact(() => this._registry.attest(period, proposal.root, verdict.valid));
      this._log.info({ period: period.toString(), valid: verdict.valid }, "charges attested");
      this._retry = undefined;
    } catch (error) {
      const previous = this._retry?.key === key ? this._retry : { key, at: 0, attempts: 0, firstAt: Date.now() };
      const attempts = previous.attempts + 1;
      this._retry = { ...previous, attempts, at: Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** attempts) };
      // Only content the proposer must serve, unreachable for the give-up time, makes it invalid:
      // a failed chain read, a membership batch or a failed transaction is retried, never judged.
      if (error instanceof ManifestUnreachable && Date.now() - previous.firstAt >= this._giveUpMs) {
        await this._transact(() => this._registry.attest(period, proposal.root, false));
        this._log.warn({ period: period.toString() }, "charges' content unavailable: attested invalid");
        this._retry = undefined;
        return;
      }
      throw error;
    }
  }

  /** This member's verdict on `proposal`, derived from the chain and the membership batches alone. */
  async judge(period: bigint, proposal: Awaited<ReturnType<ChargeRegistry["charges"]>>): Promise<ChargeVerdict> {
    this._keccak ??= await BulkKeccak.create();
    const dir = mkdtempSync(join(tmpdir(), "aidproof-charges-judge-"));
    try {
      const { built } = await derivePeriodCharges(
        this._source,
        this._ledger,
        this._keccak,
        period,
        proposal.total,
        dir,
      );
      built.tree?.close();
      const own = built.manifest;
      const problems: string[] = [];
      if (own.root !== proposal.root.toLowerCase()) problems.push(`root ${proposal.root}, derived ${own.root}`);
      if (BigInt(own.memberCount) !== proposal.memberCount)
        problems.push(`${proposal.memberCount} members, ${own.memberCount} eligible`);
      if (own.charged !== proposal.charged.toString())
        problems.push(`charged ${proposal.charged}, derived ${own.charged}`);
      problems.push(...(await this._checkManifest(period, proposal.manifestCidHash, own, dir)));
      return { valid: problems.length === 0, problems };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The proposed manifest against this member's own: every field, and every chunk's bytes behind its CID. */
  private async _checkManifest(period: bigint, cidHash: string, own: ChargeManifest, dir: string): Promise<string[]> {
    const cid = await anchoredManifestCid(this._source.provider, this._source, period, cidHash);
    if (!cid) throw new Error("no proposal event seen yet names the anchored manifest CID"); // retried
    let theirs: ChargeManifest;
    try {
      theirs = JSON.parse(
        Buffer.from(await this._served(cid, this._maxManifestBytes)).toString("utf8"),
      ) as ChargeManifest;
    } catch (error) {
      if (error instanceof SyntaxError) return ["the manifest is not JSON"];
      if (error instanceof InvalidCidError || error instanceof ContentTooLargeError)
        return [`the manifest: ${error.message}`];
      throw error;
    }
    if (typeof theirs !== "object" || theirs === null) return ["the manifest is not an object"];
    const problems: string[] = [];
    for (const field of [
      "period",
      "memberCount",
      "total",
      "cap",
      "charged",
      "carry",
      "base",
      "root",
      "membershipBatches",
    ] as const)
      if (JSON.stringify(theirs[field]) !== JSON.stringify(own[field]))
        problems.push(`manifest ${field} is ${JSON.stringify(theirs[field])}, derived ${JSON.stringify(own[field])}`);
    if (!Array.isArray(theirs.chunks) || theirs.chunks.length !== own.chunks.length)
      return [...problems, "the manifest lists other member chunks"];
    for (const [i, chunk] of own.chunks.entries()) {
      const listed = theirs.chunks[i] as Partial<ChargeManifest["chunks"][number]> | null;
      if (typeof listed !== "object" || listed === null) {
        problems.push(`member chunk ${i} is not listed`);
        continue;
      }
      if (listed.members !== chunk.members || listed.sha256 !== chunk.sha256 || typeof listed.cid !== "string") {
        problems.push(`member chunk ${i} is not the derived one`);
        continue;
      }
      const bytes = await this._served(listed.cid, chunk.members * 32).catch((error: unknown) => {
        if (error instanceof InvalidCidError || error instanceof ContentTooLargeError) return undefined;
        throw error;
      });
      if (!bytes) {
        problems.push(`member chunk ${i}'s CID is malformed or holds more than its members`);
        continue;
      }
      const ownBytes = readFileSync(join(dir, chunk.file));
      if (createHash("sha256").update(bytes).digest("hex") !== chunk.sha256 || !ownBytes.equals(Buffer.from(bytes)))
        problems.push(`member chunk ${i}'s CID holds other members`);
    }
    return problems;
  }

  /** Content the proposer must serve: a failure to fetch it may, in time, make the proposal invalid. */
  private async _served(cid: string, maxBytes: number): Promise<Uint8Array> {
    try {
      return await this._bytes(cid, maxBytes);
    } catch (error) {
      if (error instanceof InvalidCidError || error instanceof ContentTooLargeError) throw error;
      throw new ManifestUnreachable(error instanceof Error ? error.message : String(error));
    }
  }
}

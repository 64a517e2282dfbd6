import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getBytes } from "ethers";
import { onChain, type ChainAdapter } from "../chain/chainAdapter";
import { ROLES } from "../chain/roles";
import { DomainError } from "../errors";
import type { MembershipDb } from "../db/membershipDb";
import { CHARGE_LEAF_ENCODING, ChargeLeafHasher, ChargeTreeFile } from "./chargeTree";
import type { BulkKeccak } from "./hasher";
import { CHARGE_STATUS, anchoredManifestCid } from "../verify/charges";
import { membershipDomain, recoverMembershipSigner, type MembershipChange } from "./membership";
import { MemberReader, type ChargeManifest } from "./periodCharges";
import { derivePeriodCharges, readPeriodFacts, type ChargeChain, type MembershipLedger } from "./periodDerivation";

export interface PeriodChargesView {
  period: string;
  status: (typeof CHARGE_STATUS)[number];
  root: string;
  memberCount: number;
  membershipBatches: number;
  /** The bill: payouts + fee + what the previous period carried. */
  total: string;
  payouts: string;
  paidClaims: string;
  fee: string;
  charged: string;
  carriedOut: string;
  /** Most a member pays this period; null when uncapped. */
  cap: string | null;
  closesAt: number;
  manifestCid: string | null;
  attestations: { valid: string[]; invalid: string[] };
}

export interface MemberChargeView {
  period: string;
  memberHash: string;
  amount: string;
  leafEncoding: string[];
  proof: string[];
  charges: PeriodChargesView;
}

/**
 * Cost sharing's use cases: the platform's membership changes in, a period's charges and a member's
 * charge with its proof out. Proofs come from the period's tree on disk, which the gateway rebuilds
 * from the chain and the membership batches when it lacks it; the caller checks them against the
 * chain (aidproof charges verify), never against this gateway.
 */
export class ChargeService {
  /** Confirmed periods' views: a confirmed period never changes, so members' requests read no chain. */
  private readonly _confirmed = new Map<string, PeriodChargesView>();
  /** Rebuilds in flight, by period: concurrent requests share one. */
  private readonly _rebuilding = new Map<string, Promise<ChargeManifest>>();

  constructor(
    private readonly _chain: ChainAdapter,
    private readonly _db: MembershipDb,
    private readonly _source: ChargeChain,
    private readonly _ledger: MembershipLedger,
    private readonly _keccak: BulkKeccak,
    private readonly _dir: string,
  ) {}

  /** Durably queues the platform's signed changes for the next membership batch. */
  async acceptChanges(sequence: bigint, changes: MembershipChange[], signature: string) {
    const domain = membershipDomain(this._chain.chainId, this._chain.addresses.membershipRegistry);
    let signer: string;
    try {
      signer = recoverMembershipSigner(domain, sequence, changes, signature);
    } catch {
      throw new DomainError("INVALID_SIGNATURE", "the signature is not a signature of these changes");
    }
    if (!(await onChain(() => this._chain.consortium.hasRole(ROLES.GATEWAY, signer))))
      throw new DomainError("INVALID_SIGNATURE", "membership changes must be signed by the platform (a GATEWAY key)", {
        signer,
      });
    if (!(await this._db.accept(sequence, changes, Math.floor(Date.now() / 1000))))
      throw new DomainError("STALE_SEQUENCE", "this sequence is not above the last one accepted", {
        last: this._db.platformSequence().toString(),
      });
    return { accepted: changes.length, sequence: sequence.toString() };
  }

  /** A period's charges as the chain has them. */
  async period(period: bigint): Promise<PeriodChargesView> {
    const cached = this._confirmed.get(period.toString());
    if (cached) return cached;
    const view = await this._readPeriod(period);
    if (view.status === "confirmed") this._confirmed.set(view.period, view);
    return view;
  }

  private async _readPeriod(period: bigint): Promise<PeriodChargesView> {
    return onChain(async () => {
      const registry = this._chain.chargeRegistry;
      const [c, facts, [valid, invalid]] = await Promise.all([
        registry.charges(period),
        readPeriodFacts(this._source, period),
        registry.attestations(period),
      ]);
      const cid = await anchoredManifestCid(this._chain.provider, this._source, period, c.manifestCidHash);
      return {
        period: period.toString(),
        status: CHARGE_STATUS[Number(c.status)],
        root: c.root,
        memberCount: Number(c.memberCount),
        membershipBatches: Number(c.membershipBatches),
        total: c.total.toString(),
        payouts: facts.payouts.toString(),
        paidClaims: facts.paidClaims.toString(),
        fee: c.fee.toString(),
        charged: c.charged.toString(),
        carriedOut: c.carriedOut.toString(),
        cap: facts.cap === undefined ? null : facts.cap.toString(),
        closesAt: facts.closesAt,
        manifestCid: cid ?? null,
        attestations: { valid: [...valid], invalid: [...invalid] },
      };
    });
  }

  /** A member's charge in a proposed or confirmed period, with its proof against the anchored root. */
  async memberCharge(memberHash: string, period: bigint): Promise<MemberChargeView> {
    const charges = await this.period(period);
    if (charges.status !== "pending" && charges.status !== "confirmed")
      throw new DomainError("CHARGES_NOT_FOUND", `period ${period} has no charges to show (${charges.status})`);
    const dir = join(this._dir, period.toString());
    const manifest = await this._ensureBuilt(dir, period, charges);
    const reader = new MemberReader(dir, manifest.chunks);
    const member = getBytes(memberHash);
    const index = reader.indexOf(member);
    reader.close();
    if (index < 0)
      throw new DomainError("MEMBER_NOT_CHARGED", `member ${memberHash} shares no cost in period ${period}`, {
        period: period.toString(),
      });
    const tree = ChargeTreeFile.open(join(dir, "leaves.bin"), manifest.memberCount);
    try {
      return {
        period: period.toString(),
        memberHash: memberHash.toLowerCase(),
        amount: this._amountOf(manifest, member, tree.leaf(index)).toString(),
        leafEncoding: [...CHARGE_LEAF_ENCODING],
        proof: tree.proof(index),
        charges,
      };
    } finally {
      tree.close();
    }
  }

  /** The amount whose leaf is `leaf`: a period's shares are its base, or one unit more. */
  private _amountOf(manifest: ChargeManifest, member: Uint8Array, leaf: string): bigint {
    const hasher = new ChargeLeafHasher(this._keccak, BigInt(manifest.period));
    const out = new Uint8Array(32);
    for (const amount of [BigInt(manifest.base), BigInt(manifest.base) + 1n]) {
      hasher.hashInto(member, amount, out, 0);
      if (`0x${Buffer.from(out).toString("hex")}` === leaf) return amount;
    }
    throw new DomainError("INTERNAL_ERROR", "the period's tree on disk does not hold this member's share");
  }

  /** The manifest of the anchored tree in `dir`, deriving it from the chain first when `dir` lacks it. */
  private async _ensureBuilt(dir: string, period: bigint, charges: PeriodChargesView): Promise<ChargeManifest> {
    const manifestPath = join(dir, "manifest.json");
    const current = existsSync(manifestPath) && (JSON.parse(readFileSync(manifestPath, "utf8")) as ChargeManifest);
    if (current && current.root === charges.root) return current;
    const key = period.toString();
    let rebuild = this._rebuilding.get(key);
    if (!rebuild) {
      rebuild = derivePeriodCharges(this._source, this._ledger, this._keccak, period, BigInt(charges.total), dir)
        .then(({ built }) => {
          built.tree?.close();
          if (built.manifest.root !== charges.root)
            throw new DomainError(
              "CHARGES_INCONSISTENT",
              `period ${period}'s anchored root is not what the chain derives`,
            );
          return built.manifest;
        })
        .finally(() => this._rebuilding.delete(key));
      this._rebuilding.set(key, rebuild);
    }
    return rebuild;
  }
}

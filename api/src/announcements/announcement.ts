/**
 * A period's public announcement (docs/architecture.md, "Public announcements"): one entry for every
 * claim decided, disputed, settled by its jury or paid in the period, as the claim stood at the
 * period's end. Entries hold no personal data: amounts, the decision, the evidence-set root and item
 * count, the reason document's hash (its CID follows), the endorsing members, the dispute status and
 * the payment reference. Everything is re-derived from chain events; the gateway publishes the
 * manifest and its root, and every validator derives it again before confirming.
 */
import { ZeroHash, decodeBytes32String, keccak256, toUtf8Bytes, type Log, type Provider } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { z } from "zod";
import { AnnouncementRegistry__factory, ClaimRegistry__factory } from "../../../typechain-types";
import { DomainError } from "../errors";
import { inRanges } from "../chain/logRanges";
import { rawCidOfSha256 } from "../verify/reason";

export const ANNOUNCEMENT_LEAF_ENCODING = [
  "uint256", // claimId
  "uint64", // planId
  "uint8", // state at the period's end (ClaimState)
  "uint128", // amountRequested
  "uint128", // amountApproved
  "uint8", // decision of the review (Decision: 0 none, 1 approve, 2 reject)
  "bytes32", // evidenceRoot the decision committed to
  "uint32", // evidenceItemCount: items in that evidence set
  "bytes32", // reasonHash: SHA-256 of the reason document
  "address[]", // members whose current endorsement is the decision, in the order they gave it
  "uint8", // dispute: 0 none, 1 disputed, 2 upheld by the jury, 3 overturned
  "bytes32", // paymentReference (zero until paid)
] as const;

export const EMPTY_ANNOUNCEMENT_ROOT = keccak256(toUtf8Bytes("AidProof.Announcement.Empty.v1"));
export const DISPUTE_STATUS = ["none", "disputed", "upheld", "overturned"] as const;

const uint = z.string().regex(/^\d+$/);
const hex32 = z.string().regex(/^0x[0-9a-f]{64}$/);
export const announcementEntrySchema = z.strictObject({
  claimId: uint,
  planId: uint,
  state: z.number().int().min(0).max(6),
  amountRequested: uint,
  amountApproved: uint,
  decision: z.number().int().min(0).max(2),
  evidenceRoot: hex32,
  evidenceItemCount: z.number().int().nonnegative(),
  reasonHash: hex32,
  /** Derived from reasonHash: where the public reason document is. Not part of the leaf. */
  reasonCid: z.string().nullable(),
  endorsers: z.array(z.string().regex(/^0x[0-9a-f]{40}$/)),
  dispute: z.number().int().min(0).max(3),
  paymentReference: hex32,
});
export type AnnouncementEntry = z.infer<typeof announcementEntrySchema>;

export const announcementManifestSchema = z.strictObject({
  version: z.literal(1),
  type: z.literal("aidproof/announcement"),
  chainId: uint,
  announcementRegistry: z.string(),
  claimRegistry: z.string(),
  period: uint,
  start: z.number().int(),
  end: z.number().int(),
  leafEncoding: z.array(z.string()),
  entries: z.array(announcementEntrySchema),
});
export type AnnouncementManifest = z.infer<typeof announcementManifestSchema>;

export interface AnnouncementSource {
  provider: Provider;
  chainId: bigint;
  contracts: { claimRegistry: string; announcementRegistry: string };
  deploymentBlock: number;
  /** Items in the evidence set of `claimId` whose root is `root` (which the chain holds). */
  evidenceItemCount(claimId: bigint, root: string): Promise<number>;
}

export function entryValues(e: AnnouncementEntry): unknown[] {
  return [
    e.claimId,
    e.planId,
    e.state,
    e.amountRequested,
    e.amountApproved,
    e.decision,
    e.evidenceRoot,
    e.evidenceItemCount,
    e.reasonHash,
    e.endorsers,
    e.dispute,
    e.paymentReference,
  ];
}

/** The tree over the entries; undefined for an empty announcement (its root is EMPTY_ANNOUNCEMENT_ROOT). */
export function announcementTree(entries: AnnouncementEntry[]) {
  if (entries.length === 0) return undefined;
  return StandardMerkleTree.of(entries.map(entryValues), [...ANNOUNCEMENT_LEAF_ENCODING]);
}

export function announcementRoot(entries: AnnouncementEntry[]): string {
  return announcementTree(entries)?.root ?? EMPTY_ANNOUNCEMENT_ROOT;
}

/** Whether `entry` with `proof` is in the announcement whose root is `root`. */
export function verifyAnnouncementEntry(entry: AnnouncementEntry, proof: string[], root: string): boolean {
  try {
    return StandardMerkleTree.verify(root, [...ANNOUNCEMENT_LEAF_ENCODING], entryValues(entry), proof);
  } catch {
    return false; // an entry that cannot be encoded is not in any tree
  }
}

/** The first block at or after `timestamp`, in [low, high]; high + 1 if none. */
async function firstBlockAtOrAfter(provider: Provider, timestamp: number, low: number, high: number) {
  let [lo, hi] = [low, high + 1];
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const block = await provider.getBlock(mid);
    if (!block) throw new Error(`block ${mid} is missing`);
    if (block.timestamp >= timestamp) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Re-derives the announcement of `period` from chain events. Throws PERIOD_OPEN while it is open. */
export async function deriveAnnouncement(source: AnnouncementSource, period: bigint): Promise<AnnouncementManifest> {
  const registry = AnnouncementRegistry__factory.connect(source.contracts.announcementRegistry, source.provider);
  const claims = ClaimRegistry__factory.connect(source.contracts.claimRegistry, source.provider);
  const [start, end] = (await registry.periodBounds(period)).map(Number);
  const head = await source.provider.getBlock("latest");
  if (!head || head.timestamp < end)
    throw new DomainError("PERIOD_OPEN", `period ${period} is open until ${new Date(end * 1000).toISOString()}`, {
      period: period.toString(),
      end,
    });
  // Blocks [first, last] of the period; the chain's timestamps never decrease.
  const first = await firstBlockAtOrAfter(source.provider, start, source.deploymentBlock, head.number);
  const last = (await firstBlockAtOrAfter(source.provider, end, first, head.number)) - 1;

  const touched = new Set<bigint>();
  if (first <= last) {
    const [decided, changed, juried, paid] = await Promise.all([
      inRanges(first, last, (a, b) => claims.queryFilter(claims.filters.ClaimDecided(), a, b)),
      inRanges(first, last, (a, b) => claims.queryFilter(claims.filters.ClaimStateChanged(), a, b)),
      inRanges(first, last, (a, b) => claims.queryFilter(claims.filters.ClaimJuryOutcomeApplied(), a, b)),
      inRanges(first, last, (a, b) => claims.queryFilter(claims.filters.ClaimPaid(), a, b)),
    ]);
    for (const log of [...decided, ...juried, ...paid]) touched.add(log.args.claimId);
    for (const log of changed) if (Number(log.args.to) === 5) touched.add(log.args.claimId); // Disputed
  }

  const ids = [...touched].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const entries: AnnouncementEntry[] = [];
  for (const claimId of ids) entries.push(await deriveEntry(source, claims, claimId, last));
  return {
    version: 1,
    type: "aidproof/announcement",
    chainId: source.chainId.toString(),
    announcementRegistry: source.contracts.announcementRegistry,
    claimRegistry: source.contracts.claimRegistry,
    period: period.toString(),
    start,
    end,
    leafEncoding: [...ANNOUNCEMENT_LEAF_ENCODING],
    entries,
  };
}

type ClaimRegistryContract = ReturnType<typeof ClaimRegistry__factory.connect>;

/** One claim as it stood at block `last`, folded from its events. */
async function deriveEntry(
  source: AnnouncementSource,
  claims: ClaimRegistryContract,
  claimId: bigint,
  last: number,
): Promise<AnnouncementEntry> {
  const topic = `0x${claimId.toString(16).padStart(64, "0")}`;
  const logs = await inRanges(source.deploymentBlock, last, (a, b) =>
    source.provider.getLogs({
      address: source.contracts.claimRegistry,
      topics: [null, topic],
      fromBlock: a,
      toBlock: b,
    }),
  );
  const entry: AnnouncementEntry = {
    claimId: claimId.toString(),
    planId: "0",
    state: 0,
    amountRequested: "0",
    amountApproved: "0",
    decision: 0,
    evidenceRoot: ZeroHash,
    evidenceItemCount: 0,
    reasonHash: ZeroHash,
    reasonCid: null,
    endorsers: [],
    dispute: 0,
    paymentReference: ZeroHash,
  };
  /** Each member's current endorsement (a later one replaces it), in the order last given. */
  const endorsements = new Map<string, string>();
  const keyOf = (decision: bigint, root: string, amount: bigint, reason: string) =>
    `${decision}:${root}:${amount}:${reason}`.toLowerCase();
  for (const log of logs as Log[]) {
    const parsed = claims.interface.parseLog(log);
    if (!parsed) continue;
    const a = parsed.args;
    switch (parsed.name) {
      case "ClaimFiled":
        entry.planId = a.planId.toString();
        entry.amountRequested = a.amountRequested.toString();
        break;
      case "ClaimStateChanged":
        entry.state = Number(a.to);
        if (Number(a.to) === 5) entry.dispute = 1;
        break;
      case "ClaimEndorsed":
        endorsements.delete(a.validator.toLowerCase());
        endorsements.set(a.validator.toLowerCase(), keyOf(a.decision, a.evidenceRoot, a.amount, a.reasonHash));
        break;
      case "ClaimDecided": {
        const key = keyOf(a.decision, a.evidenceRoot, a.amount, a.reasonHash);
        entry.decision = Number(a.decision);
        entry.evidenceRoot = a.evidenceRoot.toLowerCase();
        entry.amountApproved = a.amount.toString();
        entry.reasonHash = a.reasonHash.toLowerCase();
        entry.reasonCid = rawCidOfSha256(a.reasonHash);
        entry.endorsers = [...endorsements].filter(([, k]) => k === key).map(([validator]) => validator);
        break;
      }
      case "ClaimJuryOutcomeApplied":
        entry.dispute = a.overturned ? 3 : 2;
        if (a.overturned) entry.amountApproved = entry.amountRequested;
        break;
      case "ClaimPaid":
        entry.paymentReference = a.paymentReference.toLowerCase();
        break;
    }
  }
  if (entry.decision !== 0) entry.evidenceItemCount = await source.evidenceItemCount(claimId, entry.evidenceRoot);
  return entry;
}

/** A payment reference as the paying member wrote it (text of up to 31 bytes), else its hex; null when unpaid. */
export function paymentReferenceText(word: string): string | null {
  if (/^0x0+$/.test(word)) return null;
  try {
    return decodeBytes32String(word);
  } catch {
    return word;
  }
}

/** Parses manifest bytes; throws DomainError MALFORMED_ANNOUNCEMENT. */
export function parseAnnouncementManifest(bytes: Uint8Array): AnnouncementManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new DomainError("MALFORMED_ANNOUNCEMENT", "the announcement manifest is not JSON");
  }
  const parsed = announcementManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new DomainError(
      "MALFORMED_ANNOUNCEMENT",
      `the announcement manifest is malformed: ${z.prettifyError(parsed.error)}`,
    );
  return parsed.data;
}

/** The differences between an announcement as published and as derived from the chain; none when equal. */
export function compareAnnouncements(published: AnnouncementManifest, derived: AnnouncementManifest): string[] {
  const problems: string[] = [];
  for (const field of ["chainId", "announcementRegistry", "claimRegistry", "period", "start", "end"] as const)
    if (String(published[field]).toLowerCase() !== String(derived[field]).toLowerCase())
      problems.push(`${field} is ${published[field]}, the chain says ${derived[field]}`);
  if (JSON.stringify(published.leafEncoding) !== JSON.stringify(derived.leafEncoding))
    problems.push("the leaf encoding is not the announcement's");
  const byId = (m: AnnouncementManifest) => new Map(m.entries.map((e) => [e.claimId, e]));
  const [mine, theirs] = [byId(derived), byId(published)];
  for (const [id, entry] of mine) {
    const other = theirs.get(id);
    if (!other) problems.push(`claim ${id} is missing`);
    else if (
      JSON.stringify(entryValues(other)) !== JSON.stringify(entryValues(entry)) ||
      other.reasonCid !== entry.reasonCid
    )
      problems.push(`claim ${id}'s entry differs from the chain`);
  }
  for (const id of theirs.keys())
    if (!mine.has(id)) problems.push(`claim ${id} had nothing to announce in this period`);
  if (published.entries.length !== theirs.size) problems.push("a claim is listed twice");
  return problems;
}

/**
 * The evidence set of a claim, defined once (docs/architecture.md, "The evidence set of a claim"):
 * the claim's evidence items in batches anchored in a block before the one where its review started
 * (the startReview block) that M members confirmed, less the leaves they excluded. Its root is the
 * StandardMerkleTree root over the items' leaf hashes (type bytes32, leaves sorted as
 * StandardMerkleTree sorts them); an empty set has the root EMPTY_EVIDENCE_SET_ROOT.
 *
 * Anyone recomputes it from the chain and the batch manifests; this module does it for the
 * reviewer's tools, the validators and the gateway alike. It believes the chain: a manifest counts
 * only if its CID is the anchored one and its leaves give the anchored root.
 */
import { keccak256, toUtf8Bytes, type Provider } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { ClaimRegistry__factory, EvidenceRegistry__factory } from "../../../typechain-types";
import { manifestLeaf, manifestSchema, type BatchManifest, type ManifestItem } from "../batcher/manifest";
import { evidenceLeafHash } from "../chain/evidenceLeaf";
import { EvidenceTree, batchRoot } from "../chain/evidenceTree";
import { DomainError } from "../errors";
import { inRanges } from "../chain/logRanges";

export const EMPTY_EVIDENCE_SET_ROOT = keccak256(toUtf8Bytes("AidProof.EvidenceSet.Empty.v1"));
export const EVIDENCE_SET_ENCODING = ["bytes32"] as const;

const UNDER_REVIEW = 2;
const BATCH_PENDING = 1;
const BATCH_CONFIRMED = 2;

export interface EvidenceSetItem {
  leafHash: string;
  batchRoot: string;
  /** The item's position in its batch manifest. */
  leafIndex: number;
  manifestCid: string;
  item: ManifestItem;
  /** The item's proof in the evidence-set tree. */
  setProof: string[];
}

export interface EvidenceSet {
  claimId: string;
  /** Batches anchored in blocks below this one count: the block where the review started. */
  cutoffBlock: number;
  root: string;
  /** Ascending by leaf hash. */
  items: EvidenceSetItem[];
}

export interface EvidenceSetSource {
  provider: Provider;
  contracts: { claimRegistry: string; evidenceRegistry: string };
  deploymentBlock: number;
  /** The bytes of `cid`, verified against it (the store, or a trustless gateway). */
  fetch(cid: string): Promise<Uint8Array>;
}

/** The root of a set of evidence leaf hashes. */
export function evidenceSetRoot(leafHashes: string[]): string {
  if (leafHashes.length === 0) return EMPTY_EVIDENCE_SET_ROOT;
  return StandardMerkleTree.of(
    leafHashes.map((h) => [h]),
    [...EVIDENCE_SET_ENCODING],
  ).root;
}

/** Recomputes the evidence set of `claimId` from the chain and the manifests. */
export async function computeEvidenceSet(source: EvidenceSetSource, claimId: bigint): Promise<EvidenceSet> {
  const claims = ClaimRegistry__factory.connect(source.contracts.claimRegistry, source.provider);
  const evidence = EvidenceRegistry__factory.connect(source.contracts.evidenceRegistry, source.provider);
  const head = await source.provider.getBlockNumber();
  const changes = await inRanges(
    source.deploymentBlock,
    "latest",
    (from, to) => claims.queryFilter(claims.filters.ClaimStateChanged(claimId), from, to),
    head,
  );
  if (changes.length === 0)
    throw new DomainError("CLAIM_NOT_FOUND", `no claim ${claimId}`, { claimId: claimId.toString() });
  const started = changes.find((log) => Number(log.args.to) === UNDER_REVIEW);
  if (!started)
    throw new DomainError("CLAIM_NOT_REVIEWED", `claim ${claimId} has not entered review: it has no evidence set yet`, {
      claimId: claimId.toString(),
    });
  const cutoffBlock = started.blockNumber;

  const anchors = await inRanges(source.deploymentBlock, cutoffBlock - 1, (from, to) =>
    evidence.queryFilter(evidence.filters.BatchAnchored(), from, to),
  );
  const found: Omit<EvidenceSetItem, "setProof">[] = [];
  for (const anchor of anchors) {
    const { root, gateway, leavesRoot, salt, manifestCid } = anchor.args;
    const batch = await evidence.batch(root);
    if (Number(batch.status) === BATCH_PENDING)
      throw new DomainError(
        "EVIDENCE_SET_UNSETTLED",
        `batch ${root}, anchored before the review started, is not confirmed or rejected yet: the evidence set is not settled`,
        { claimId: claimId.toString(), batchRoot: root },
      );
    if (Number(batch.status) !== BATCH_CONFIRMED) continue;
    if (batch.manifestCidHash !== keccak256(toUtf8Bytes(manifestCid)))
      throw new EvidenceSetError(`batch ${root}: the event's manifest CID is not the anchored one`);
    const manifest = await readManifest(source, manifestCid);
    const leafHashes = manifest.leaves.map((item) => evidenceLeafHash(manifestLeaf(item)));
    const ownLeavesRoot = EvidenceTree.of(leafHashes).root;
    if (ownLeavesRoot !== leavesRoot.toLowerCase() || batchRoot(gateway, ownLeavesRoot, salt) !== root)
      throw new EvidenceSetError(`batch ${root}: its manifest does not give the anchored root`);
    for (const [leafIndex, item] of manifest.leaves.entries()) {
      if (item.claimId !== claimId.toString()) continue;
      if (await evidence.isExcluded(root, leafHashes[leafIndex])) continue;
      found.push({ leafHash: leafHashes[leafIndex], batchRoot: root, leafIndex, manifestCid, item });
    }
  }

  found.sort((a, b) => (a.leafHash < b.leafHash ? -1 : a.leafHash > b.leafHash ? 1 : 0));
  const tree =
    found.length > 0
      ? StandardMerkleTree.of(
          found.map((f) => [f.leafHash]),
          [...EVIDENCE_SET_ENCODING],
        )
      : undefined;
  return {
    claimId: claimId.toString(),
    cutoffBlock,
    root: tree?.root ?? EMPTY_EVIDENCE_SET_ROOT,
    items: found.map((f) => ({ ...f, setProof: tree ? tree.getProof([f.leafHash]) : [] })),
  };
}

/**
 * An announcement's item count for a decided root that is not the claim's evidence set as defined
 * here (members endorsed some other root): the entry says so instead of counting another set.
 */
export const ROOT_NOT_THE_EVIDENCE_SET = 0xffffffff;

/** The item count an announcement gives a decided claim (gateway and validators alike). */
export function evidenceItemCounter(source: EvidenceSetSource) {
  return async (claimId: bigint, root: string): Promise<number> => {
    const set = await computeEvidenceSet(source, claimId);
    return set.root.toLowerCase() === root.toLowerCase() ? set.items.length : ROOT_NOT_THE_EVIDENCE_SET;
  };
}

/** `fetch` with the last `size` results kept: manifests never change under their CID. */
export function cachedFetch(fetch: EvidenceSetSource["fetch"], size = 256): EvidenceSetSource["fetch"] {
  const cache = new Map<string, Uint8Array>();
  return async (cid) => {
    const hit = cache.get(cid);
    if (hit) return hit;
    const bytes = await fetch(cid);
    cache.set(cid, bytes);
    if (cache.size > size) cache.delete(cache.keys().next().value!);
    return bytes;
  };
}

/** The chain and a manifest disagree: a batch confirmed by the members whose manifest is not what was anchored. */
export class EvidenceSetError extends DomainError {
  constructor(message: string) {
    super("EVIDENCE_SET_INCONSISTENT", message);
  }
}

async function readManifest(source: EvidenceSetSource, cid: string): Promise<BatchManifest> {
  const bytes = await source.fetch(cid);
  const parsed = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(bytes)));
  if (!parsed.success) throw new EvidenceSetError(`manifest ${cid} is malformed`);
  return parsed.data as BatchManifest;
}

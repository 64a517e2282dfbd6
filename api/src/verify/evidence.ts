import { JsonRpcProvider, keccak256, toUtf8Bytes, type Provider } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { z } from "zod";
import { Consortium__factory, EvidenceRegistry__factory } from "../../../typechain-types";
import { EVIDENCE_LEAF_ENCODING } from "../chain/leafEncoding";
import { parseEnvelopeHeader } from "../crypto/envelopeHeader";
import { sha256Hex, unixfsCid } from "./content";
import type { ConsortiumDescriptor } from "./descriptor";
import { checkPin, type Check } from "./pin";
import { claimTimeline, type TimelineEntry } from "./timeline";

export type { Check } from "./pin";

/**
 * A self-contained proof that one evidence item is in an anchored batch (docs/proof-bundle.md),
 * checked against any RPC endpoint of the chain, without the gateway.
 */
export interface ProofBundle {
  version: 1;
  type: "aidproof/evidence-proof";
  leaf: { claimId: string; claimant: string; contentHash: string; kind: number; cid: string };
  leafEncoding: string[];
  leafHash: string;
  proof: string[];
  root: string;
  batch: {
    index: number;
    leafCount: number;
    manifestCid: string;
    txHash: string | null;
    blockNumber: number;
    blockTimestamp: number;
  };
  contract: { evidenceRegistry: string; chainId: string };
}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);
export const proofBundleSchema = z.object({
  version: z.literal(1),
  type: z.literal("aidproof/evidence-proof"),
  leaf: z.object({
    claimId: z.string().regex(/^\d{1,78}$/),
    claimant: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    contentHash: hex32,
    kind: z.number().int().min(0).max(255),
    cid: z.string().min(1),
  }),
  leafEncoding: z.array(z.string()),
  leafHash: hex32,
  proof: z.array(hex32),
  root: hex32,
  batch: z.object({
    index: z.number().int().nonnegative(),
    leafCount: z.number().int().positive(),
    manifestCid: z.string().min(1),
    txHash: hex32.nullable(),
    blockNumber: z.number().int().nonnegative(),
    blockTimestamp: z.number().int().nonnegative(),
  }),
  contract: z.object({ evidenceRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/), chainId: z.string().regex(/^\d+$/) }),
});

/** VERIFIED: every check holds and M members confirmed the batch. PENDING: all holds, not confirmed yet. */
export type VerificationStatus = "VERIFIED" | "PENDING" | "NOT VERIFIED";

export interface Attestation {
  member: string;
  address: string;
  valid: boolean;
  blockNumber: number;
  time: number;
}

export interface Verification {
  status: VerificationStatus;
  ok: boolean;
  /** False when the user opted out of a pin: every output then says UNPINNED. */
  pinned: boolean;
  checks: Check[];
  batch?: { status: "Pending" | "Confirmed" | "Rejected"; attestations: Attestation[]; excluded: boolean };
  file?: { sha256: string; cid: string; recipients?: string[] };
  claim?: { id: string; timeline: TimelineEntry[]; decidedAtBlock?: number };
}

export interface VerifyOptions {
  /** The consortium the bundle must belong to; without it, `unpinned` must say so. */
  descriptor?: ConsortiumDescriptor;
  unpinned?: boolean;
  /** Any RPC endpoint of the chain (default: the descriptor's). */
  rpcUrl?: string;
  /** The file the bundle is about: the envelope, for private evidence. */
  file?: Uint8Array;
}

const BATCH_STATUS = ["None", "Pending", "Confirmed", "Rejected"] as const;
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Verifies a proof bundle, trusting nothing it is handed: the contracts must be the pinned
 * deployment's (read on chain, not taken from the bundle), the leaf must be in the anchored root,
 * the batch confirmed by M members with this leaf not excluded, the file's SHA-256 and CID must be the
 * leaf's, and the item must have been anchored before the claim was decided. One implementation for
 * the CLI, the SDK and the web page.
 */
export async function verifyEvidenceBundle(input: unknown, options: VerifyOptions): Promise<Verification> {
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail?: string) => checks.push({ name, ok, detail });
  const result = (extra: Partial<Verification> = {}): Verification => {
    const ok = checks.every((c) => c.ok);
    const pending = extra.batch?.status === "Pending";
    return {
      status: !ok ? "NOT VERIFIED" : pending ? "PENDING" : "VERIFIED",
      ok: ok && !pending,
      pinned: !!options.descriptor,
      checks,
      ...extra,
    };
  };

  const parsed = proofBundleSchema.safeParse(input);
  if (!parsed.success) {
    check("bundle format", false, z.prettifyError(parsed.error));
    return result();
  }
  const bundle = parsed.data as ProofBundle;
  const { descriptor } = options;
  if (!descriptor && !options.unpinned) {
    check("pinned to a consortium descriptor", false, "give the consortium's descriptor, or opt out explicitly");
    return result();
  }
  if (descriptor) {
    check("bundle names the pinned chain", bundle.contract.chainId === descriptor.chainId, bundle.contract.chainId);
    check(
      "bundle names the pinned EvidenceRegistry",
      same(bundle.contract.evidenceRegistry, descriptor.contracts.evidenceRegistry),
      bundle.contract.evidenceRegistry,
    );
  }

  const values: [string, string, string, number, string] = [
    bundle.leaf.claimId,
    bundle.leaf.claimant,
    bundle.leaf.contentHash,
    bundle.leaf.kind,
    bundle.leaf.cid,
  ];
  check(
    "leaf encoding is AidProof's",
    JSON.stringify(bundle.leafEncoding) === JSON.stringify(EVIDENCE_LEAF_ENCODING),
    bundle.leafEncoding.join(","),
  );
  const leafHash = StandardMerkleTree.of([values], [...EVIDENCE_LEAF_ENCODING]).leafHash(values);
  check("leaf hashes to the bundle's leaf hash", leafHash === bundle.leafHash, leafHash);
  let proofOk = false;
  try {
    proofOk = StandardMerkleTree.verify(bundle.root, [...EVIDENCE_LEAF_ENCODING], values, bundle.proof);
  } catch {
    proofOk = false;
  }
  check("Merkle proof reaches the root", proofOk);

  const extra: Partial<Verification> = {};
  if (options.file) extra.file = await checkFile(options.file, bundle, check);

  const rpcUrl = options.rpcUrl ?? descriptor?.rpcUrl;
  if (!rpcUrl) {
    check("an RPC endpoint of the chain", false, "none given and none in the descriptor");
    return result(extra);
  }
  const provider = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1 });
  try {
    if (descriptor) {
      const pin = await checkPin(provider, descriptor);
      checks.push(...pin);
      if (pin.some((c) => !c.ok)) return result(extra);
    } else {
      const { chainId } = await provider.getNetwork();
      check(
        "RPC endpoint is on the bundle's chain",
        chainId.toString() === bundle.contract.chainId,
        `chain ${chainId}`,
      );
    }
    const anchored = await checkAnchor(provider, bundle, leafHash, descriptor, check);
    if (anchored) {
      extra.batch = anchored;
      if (descriptor) extra.claim = await checkClaim(provider, descriptor, bundle, check);
    }
  } catch (error) {
    check("RPC endpoint reachable", false, error instanceof Error ? error.message.split("\n")[0] : String(error));
  } finally {
    provider.destroy();
  }
  return result(extra);
}

async function checkFile(
  file: Uint8Array,
  bundle: ProofBundle,
  check: (name: string, ok: boolean, detail?: string) => void,
): Promise<Verification["file"]> {
  const [sha256, cid] = await Promise.all([sha256Hex(file), unixfsCid(file)]);
  check("file SHA-256 is the leaf's content hash", sha256 === bundle.leaf.contentHash.toLowerCase(), sha256);
  check("file CID (unixfs-v1-2025) is the leaf's CID", cid === bundle.leaf.cid, cid);
  if (bundle.leaf.kind !== 1) return { sha256, cid };
  try {
    const recipients = parseEnvelopeHeader(file).recipients.map((r) => r.publicKey);
    check("private file is an envelope", true, `${recipients.length} recipients`);
    return { sha256, cid, recipients };
  } catch (error) {
    check("private file is an envelope", false, error instanceof Error ? error.message : String(error));
    return { sha256, cid };
  }
}

async function checkAnchor(
  provider: Provider,
  bundle: ProofBundle,
  leafHash: string,
  descriptor: ConsortiumDescriptor | undefined,
  check: (name: string, ok: boolean, detail?: string) => void,
): Promise<Verification["batch"]> {
  const registry = EvidenceRegistry__factory.connect(bundle.contract.evidenceRegistry, provider);
  const onChain = await registry.batch(bundle.root).catch(() => undefined);
  check("root is anchored on chain", !!onChain);
  if (!onChain) return undefined;
  check(
    "anchored at the bundle's block",
    Number(onChain.anchoredBlock) === bundle.batch.blockNumber,
    `block ${onChain.anchoredBlock}`,
  );
  check(
    "anchored at the bundle's time",
    Number(onChain.anchoredAt) === bundle.batch.blockTimestamp,
    `time ${onChain.anchoredAt}`,
  );
  check(
    "batch index and leaf count match",
    Number(onChain.index) === bundle.batch.index && Number(onChain.leafCount) === bundle.batch.leafCount,
  );
  check(
    "manifest CID matches the anchored one",
    onChain.manifestCidHash === keccak256(toUtf8Bytes(bundle.batch.manifestCid)),
  );

  const status = BATCH_STATUS[Number(onChain.status)] as "Pending" | "Confirmed" | "Rejected";
  const attestations = await attestationsOf(provider, bundle, descriptor);
  const against = attestations.filter((a) => !a.valid).map((a) => a.member);
  check(
    "batch is not rejected by the members",
    status !== "Rejected",
    status === "Rejected" ? `rejected by ${against.join(", ")}` : status,
  );
  const excluded = await registry.isExcluded(bundle.root, leafHash);
  check(
    "the members did not exclude this item",
    !excluded,
    excluded ? "the confirming verdict named it invalid" : undefined,
  );
  const accepted = await registry.verifyEvidence(bundle.root, bundle.proof, {
    claimId: bundle.leaf.claimId,
    claimant: bundle.leaf.claimant,
    contentHash: bundle.leaf.contentHash,
    kind: bundle.leaf.kind,
    cid: bundle.leaf.cid,
  });
  check("contract verifies the proof (OpenZeppelin MerkleProof)", accepted);
  return { status, attestations, excluded };
}

/** Who attested the batch, when, and under which member name (read from the pinned Consortium). */
async function attestationsOf(
  provider: Provider,
  bundle: ProofBundle,
  descriptor: ConsortiumDescriptor | undefined,
): Promise<Attestation[]> {
  const registry = EvidenceRegistry__factory.connect(bundle.contract.evidenceRegistry, provider);
  const logs = await registry.queryFilter(registry.filters.BatchAttested(bundle.root), bundle.batch.blockNumber);
  const consortium = descriptor && Consortium__factory.connect(descriptor.contracts.consortium, provider);
  const nameOf = async (address: string) =>
    consortium && (await consortium.isMember(address)) ? (await consortium.member(address)).name : "former member";
  return Promise.all(
    logs.map(async (log) => ({
      member: await nameOf(log.args.validator),
      address: log.args.validator,
      valid: log.args.valid,
      blockNumber: log.blockNumber,
      time: (await provider.getBlock(log.blockNumber))?.timestamp ?? 0,
    })),
  );
}

/** The claim's public timeline, and whether this item was anchored before the claim was decided. */
async function checkClaim(
  provider: Provider,
  descriptor: ConsortiumDescriptor,
  bundle: ProofBundle,
  check: (name: string, ok: boolean, detail?: string) => void,
): Promise<Verification["claim"]> {
  const timeline = await claimTimeline(provider, descriptor, BigInt(bundle.leaf.claimId));
  const decided = timeline.find((e) => e.event === "ClaimDecided");
  if (decided)
    check(
      "anchored before the claim was decided",
      bundle.batch.blockNumber < decided.blockNumber,
      `anchored at block ${bundle.batch.blockNumber}, decided at block ${decided.blockNumber}`,
    );
  return { id: bundle.leaf.claimId, timeline, decidedAtBlock: decided?.blockNumber };
}

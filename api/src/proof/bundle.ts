import { createHash } from "node:crypto";
import { Contract, JsonRpcProvider, keccak256, toUtf8Bytes } from "ethers";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { z } from "zod";
import { EVIDENCE_LEAF_ENCODING } from "../chain/evidenceLeaf";

/**
 * A self-contained proof that one evidence item is in an anchored batch (docs/proof-bundle.md). It is
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
    claimId: z.string().regex(/^\d+$/),
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
    txHash: z
      .string()
      .regex(/^0x[0-9a-fA-F]{64}$/)
      .nullable(),
    blockNumber: z.number().int().nonnegative(),
    blockTimestamp: z.number().int().nonnegative(),
  }),
  contract: z.object({ evidenceRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/), chainId: z.string().regex(/^\d+$/) }),
});

export function leafValues(bundle: Pick<ProofBundle, "leaf">): [string, string, string, number, string] {
  const { leaf } = bundle;
  return [leaf.claimId, leaf.claimant, leaf.contentHash, leaf.kind, leaf.cid];
}

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export interface Verification {
  ok: boolean;
  checks: Check[];
}

const REGISTRY_ABI = [
  "function batch(bytes32 root) view returns (tuple(uint40 index, uint32 leafCount, uint48 anchoredAt, uint64 anchoredBlock, uint8 status, bytes32 manifestCidHash))",
  "function verifyEvidence(bytes32 root, bytes32[] proof, tuple(uint256 claimId, address claimant, bytes32 contentHash, uint8 kind, string cid) leaf) view returns (bool)",
  "event BatchAnchored(bytes32 indexed root, uint256 indexed index, address indexed gateway, uint256 leafCount, string manifestCid)",
];

/**
 * Verifies a bundle with nothing but an RPC endpoint (and, optionally, the file): the leaf hashes to
 * the bundle's leaf hash, the proof reaches the root, the root is anchored in that batch at that block
 * with that manifest, the contract itself accepts the proof, and the file's SHA-256 is the leaf's.
 */
export async function verifyProofBundle(input: unknown, rpcUrl: string, file?: Uint8Array): Promise<Verification> {
  const parsed = proofBundleSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, checks: [{ name: "bundle format", ok: false, detail: z.prettifyError(parsed.error) }] };
  const bundle = parsed.data as ProofBundle;
  const checks: Check[] = [];
  const check = (name: string, ok: boolean, detail?: string) => checks.push({ name, ok, detail });

  const encodingOk = JSON.stringify(bundle.leafEncoding) === JSON.stringify(EVIDENCE_LEAF_ENCODING);
  check("leaf encoding is AidProof's", encodingOk, bundle.leafEncoding.join(","));
  const values = leafValues(bundle);
  const leafHash = StandardMerkleTree.of([values], [...EVIDENCE_LEAF_ENCODING]).leafHash(values);
  check("leaf hashes to the bundle's leaf hash", leafHash === bundle.leafHash, leafHash);
  let proofOk = false;
  try {
    proofOk = StandardMerkleTree.verify(bundle.root, [...EVIDENCE_LEAF_ENCODING], values, bundle.proof);
  } catch {
    proofOk = false;
  }
  check("Merkle proof reaches the root", proofOk);
  if (file) {
    const sha = `0x${createHash("sha256").update(file).digest("hex")}`;
    check("file SHA-256 is the leaf's content hash", sha === bundle.leaf.contentHash.toLowerCase(), sha);
  }

  const provider = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1 });
  try {
    const { chainId } = await provider.getNetwork();
    check("RPC endpoint is on the bundle's chain", chainId.toString() === bundle.contract.chainId, `chain ${chainId}`);
    const registry = new Contract(bundle.contract.evidenceRegistry, REGISTRY_ABI, provider);
    let onChain:
      | { index: bigint; leafCount: bigint; anchoredAt: bigint; anchoredBlock: bigint; manifestCidHash: string }
      | undefined;
    try {
      onChain = await registry.batch(bundle.root);
    } catch {
      onChain = undefined;
    }
    check("root is anchored on chain", !!onChain);
    if (onChain) {
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
      const contractOk: boolean = await registry.verifyEvidence(bundle.root, bundle.proof, {
        claimId: bundle.leaf.claimId,
        claimant: bundle.leaf.claimant,
        contentHash: bundle.leaf.contentHash,
        kind: bundle.leaf.kind,
        cid: bundle.leaf.cid,
      });
      check("contract verifies the proof (OpenZeppelin MerkleProof)", contractOk);
    }
  } catch (error) {
    check("RPC endpoint reachable", false, error instanceof Error ? error.message.split("\n")[0] : String(error));
  } finally {
    provider.destroy();
  }
  return { ok: checks.every((c) => c.ok), checks };
}

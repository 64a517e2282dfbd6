import { z } from "zod";
import { EVIDENCE_LEAF_ENCODING, type EvidenceLeaf } from "../chain/evidenceLeaf";
import type { EvidenceRow } from "../db/database";

/** One leaf of a batch manifest: the leaf values plus what a validator needs to re-check it. */
export type ManifestItem = Pick<
  EvidenceRow,
  "claimId" | "claimant" | "contentHash" | "kind" | "cid" | "size" | "nonce" | "deadline" | "signature" | "recipients"
>;

/** The batch manifest stored in IPFS and named (by CID) in the anchor transaction. */
export interface BatchManifest {
  version: 1;
  type: "aidproof/evidence-batch";
  chainId: string;
  evidenceRegistry: string;
  leafEncoding: string[];
  leaves: ManifestItem[];
}

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/);

export const manifestSchema = z.object({
  version: z.literal(1),
  type: z.literal("aidproof/evidence-batch"),
  chainId: z.string().regex(/^\d+$/),
  evidenceRegistry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  leafEncoding: z.array(z.string()),
  leaves: z
    .array(
      z.object({
        claimId: z.string().regex(/^\d+$/),
        claimant: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
        contentHash: hex32,
        kind: z.union([z.literal(0), z.literal(1)]),
        cid: z.string().min(1),
        size: z.number().int().nonnegative(),
        nonce: z.string().regex(/^\d+$/),
        deadline: z.string().regex(/^\d+$/),
        signature: z.string().regex(/^0x[0-9a-fA-F]+$/),
        recipients: z.array(z.string()),
      }),
    )
    .min(1),
});

export function manifestLeaf(item: ManifestItem): EvidenceLeaf {
  return {
    claimId: BigInt(item.claimId),
    claimant: item.claimant,
    contentHash: item.contentHash,
    kind: item.kind as EvidenceLeaf["kind"],
    cid: item.cid,
  };
}

export function buildManifest(chainId: bigint, evidenceRegistry: string, leaves: ManifestItem[]): BatchManifest {
  return {
    version: 1,
    type: "aidproof/evidence-batch",
    chainId: chainId.toString(),
    evidenceRegistry,
    leafEncoding: [...EVIDENCE_LEAF_ENCODING],
    leaves,
  };
}

import { randomBytes } from "node:crypto";
import type { BaseWallet } from "ethers";
import { EVIDENCE_TYPES, evidenceDomain } from "../../api/src/chain/typedData";
import { buildEvidenceTree } from "../../api/src/chain/evidenceLeaf";
import { batchHeader, batchRoot } from "../../api/src/chain/evidenceTree";
import { buildManifest, manifestLeaf, type ManifestItem } from "../../api/src/batcher/manifest";
import type { LocalStack } from "../../api/src/node/localStack";
import { sha256 } from "./evidence";

/**
 * What slips past a gateway, or what a buggy or malicious one anchors: signed items and manifests
 * built by hand, stored in the stack's store and anchored with the gateway's key, bypassing every
 * check the gateway makes. The validators are the last line.
 */
export class RogueGateway {
  constructor(private readonly _stack: LocalStack) {}

  /** A signed public item for `claimId`, its bytes stored. */
  async item(
    claimId: bigint,
    signer: BaseWallet,
    o: { bytes?: Uint8Array; kind?: 0 | 1; deadline?: bigint; claimant?: string; signWith?: BaseWallet } = {},
  ): Promise<ManifestItem> {
    const bytes = o.bytes ?? randomBytes(64);
    const { cid, size } = await this._stack.gateway.store.put(bytes);
    const { chainId, addresses } = this._stack.deployment;
    const message = {
      claimId,
      contentHash: sha256(bytes),
      kind: o.kind ?? 0,
      nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
      deadline: o.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 3600),
    };
    const signature = await (o.signWith ?? signer).signTypedData(
      evidenceDomain(BigInt(chainId), addresses.evidenceRegistry),
      EVIDENCE_TYPES,
      message,
    );
    return {
      claimId: claimId.toString(),
      claimant: o.claimant ?? signer.address,
      contentHash: message.contentHash,
      kind: message.kind,
      cid,
      size,
      nonce: message.nonce.toString(),
      deadline: message.deadline.toString(),
      signature,
      recipients: [],
    };
  }

  /**
   * Stores the manifest of `items` and anchors it (or the given manifest CID and leaves root as they
   * are); returns the anchored root, and the leaf hashes and on-chain proofs of the items.
   */
  async anchor(
    items: ManifestItem[],
    o: { manifestCid?: string; leavesRoot?: string } = {},
  ): Promise<{ root: string; leafHashes: string[]; proofs: string[][] }> {
    const { chain, store } = this._stack.gateway;
    const manifest = buildManifest(chain.chainId, chain.addresses.evidenceRegistry, items);
    const manifestCid = o.manifestCid ?? (await store.put(Buffer.from(JSON.stringify(manifest)))).cid;
    const tree = o.leavesRoot ? undefined : buildEvidenceTree(items.map(manifestLeaf));
    const leavesRoot = o.leavesRoot ?? tree!.root;
    const salt = `0x${randomBytes(32).toString("hex")}`;
    const header = batchHeader(chain.gatewayAddress, salt);
    const receipt = await (await chain.sendAnchor(leavesRoot, salt, items.length, manifestCid)).wait();
    if (receipt.status !== 1) throw new Error("anchor reverted");
    return {
      root: batchRoot(chain.gatewayAddress, leavesRoot, salt),
      leafHashes: tree ? items.map((_, i) => tree.leafHash(i)) : [],
      proofs: tree ? items.map((_, i) => [...tree.getProof(i), header]) : [],
    };
  }
}

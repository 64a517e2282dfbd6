import { createHash, randomBytes } from "node:crypto";
import type { BaseWallet, TypedDataDomain } from "ethers";
import { EVIDENCE_TYPES, FILE_CLAIM_TYPES, claimRegistryDomain, evidenceDomain } from "../../api/src/chain/typedData";
import type { LocalStack } from "../../api/src/node/localStack";
import type { ErrorBody } from "../../api/src/http/errorHandler";
import type { ChainPin } from "../../api/src/sdk/client";

export interface StackInfo {
  url: string;
  chainId: bigint;
  evidenceRegistry: string;
  claimRegistry: string;
}

/** What the upload helpers need of a running stack; `url` overrides its gateway's. */
export function stackInfo(stack: LocalStack, url = stack.gateway.url): StackInfo {
  return {
    url,
    chainId: BigInt(stack.deployment.chainId),
    evidenceRegistry: stack.deployment.addresses.evidenceRegistry,
    claimRegistry: stack.deployment.addresses.claimRegistry,
  };
}

/** What a claimant's SDK pins of a running stack: its RPC endpoint and deployment record. */
export function chainPin(stack: LocalStack): ChainPin {
  return { rpcUrl: stack.rpcUrl, descriptor: stack.descriptor };
}

export const sha256 = (bytes: Uint8Array) => `0x${createHash("sha256").update(bytes).digest("hex")}`;

export interface UploadOptions {
  claimId: bigint;
  bytes: Uint8Array;
  signer: BaseWallet;
  kind?: "public" | "private";
  /** What the signature commits to (default: the bytes' SHA-256). */
  contentHash?: string;
  nonce?: bigint;
  deadline?: bigint;
  domain?: TypedDataDomain;
  omitFile?: boolean;
}

/** A hand-built signed upload, so tests can break any one part of it. */
export async function upload(
  info: StackInfo,
  o: UploadOptions,
): Promise<{ status: number; body: Record<string, unknown> & Partial<ErrorBody> }> {
  const kind = o.kind ?? "public";
  const contentHash = o.contentHash ?? sha256(o.bytes);
  const nonce = o.nonce ?? BigInt(`0x${randomBytes(8).toString("hex")}`);
  const deadline = o.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 600);
  const message = { claimId: o.claimId, contentHash, kind: kind === "private" ? 1 : 0, nonce, deadline };
  const signature = await o.signer.signTypedData(
    o.domain ?? evidenceDomain(info.chainId, info.evidenceRegistry),
    EVIDENCE_TYPES,
    message,
  );
  const form = new FormData();
  form.set("kind", kind);
  form.set("contentHash", contentHash);
  form.set("nonce", nonce.toString());
  form.set("deadline", deadline.toString());
  form.set("signature", signature);
  if (!o.omitFile) form.set("file", new Blob([o.bytes]), "evidence.bin");
  const res = await fetch(`${info.url}/claims/${o.claimId}/evidence`, { method: "POST", body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & Partial<ErrorBody> };
}

/** Files a claim through the API for `claimant`. */
export async function fileClaim(
  info: StackInfo,
  claimant: BaseWallet,
  overrides: { nonce?: bigint; deadline?: bigint; domain?: TypedDataDomain; amount?: bigint } = {},
) {
  const nonceRes = (await (await fetch(`${info.url}/claimants/${claimant.address}`)).json()) as { claimNonce: string };
  const message = {
    claimant: claimant.address,
    planId: 1n,
    amount: overrides.amount ?? 300_000n,
    metadataCid: "bafkreitestmetadata",
    nonce: overrides.nonce ?? BigInt(nonceRes.claimNonce),
    deadline: overrides.deadline ?? BigInt(Math.floor(Date.now() / 1000) + 600),
  };
  const signature = await claimant.signTypedData(
    overrides.domain ?? claimRegistryDomain(info.chainId, info.claimRegistry),
    FILE_CLAIM_TYPES,
    message,
  );
  const res = await fetch(`${info.url}/claims`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      claimant: message.claimant,
      planId: message.planId.toString(),
      amount: message.amount.toString(),
      metadataCid: message.metadataCid,
      nonce: message.nonce.toString(),
      deadline: message.deadline.toString(),
      signature,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & Partial<ErrorBody> };
}

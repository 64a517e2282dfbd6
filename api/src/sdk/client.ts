import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { JsonRpcProvider, type BaseWallet } from "ethers";
import { ClaimRegistry__factory } from "../../../typechain-types";
import { DomainError } from "../errors";
import {
  EVIDENCE_TYPES,
  FILE_CLAIM_TYPES,
  DISPUTE_CLAIM_TYPES,
  claimRegistryDomain,
  evidenceDomain,
} from "../chain/typedData";
import { readConsortium, type ConsortiumMember } from "../chain/consortiumReader";
import { encryptEnvelope } from "../crypto/envelope";
import type { ProofBundle } from "../verify/evidence";
import { checkPin, pinFailure } from "../verify/pin";
import type { ConsortiumDescriptor } from "../verify/descriptor";

export interface ConsortiumInfo {
  chainId: string;
  contracts: ConsortiumDescriptor["contracts"];
  threshold: number;
  members: ConsortiumMember[];
}

/**
 * Where the client reads the consortium: an RPC endpoint the claimant chooses and the consortium
 * descriptor it pins (chain, genesis block, contracts: published by the consortium). Never the
 * gateway: an operator, or anyone on the path to it, could add a key and read private evidence.
 */
export interface ChainPin {
  rpcUrl: string;
  descriptor: ConsortiumDescriptor;
}

export interface ReceiptView {
  receiptId: string;
  status: "pending" | "anchored" | "confirmed" | "rejected" | "refused";
  /** Blocks from the anchor's to the head; confirmed and rejected come only once final. */
  confirmations?: number;
  final?: boolean;
  reason?: string;
  claimId: string;
  cid: string;
  contentHash: string;
  proof?: ProofBundle;
  attestations?: { validator: string; valid: boolean }[];
}

export interface SubmittedEvidence {
  receiptId: string;
  cid: string;
  size: number;
  file: string;
  kind: "public" | "private";
}

/** An error answer of the gateway, with its stable code. */
export class GatewayError extends DomainError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details);
  }
}

const SIGNATURE_LIFETIME_SECONDS = 3600;
const deadline = () => BigInt(Math.floor(Date.now() / 1000) + SIGNATURE_LIFETIME_SECONDS);

/**
 * The claimant's SDK: files claims and submits evidence through a gateway, signing with the
 * claimant's key and encrypting private files for every validator before they leave the machine.
 */
export class AidProofClient {
  private _info: Promise<ConsortiumInfo> | undefined;

  constructor(
    readonly gatewayUrl: string,
    private readonly _claimant?: BaseWallet,
    private readonly _chain?: ChainPin,
  ) {}

  /** The claimant's key; reading receipts needs none. */
  private get _wallet(): BaseWallet {
    if (!this._claimant)
      throw new DomainError("NO_CLAIMANT_KEY", "this operation signs: give the client a claimant key");
    return this._claimant;
  }

  get address(): string {
    return this._wallet.address;
  }

  /**
   * The pinned deployment's members, keys and threshold, read from its Consortium contract through
   * the pinned RPC endpoint, after checking that the endpoint serves the pinned chain and that the
   * pinned registries answer to that Consortium. Read once per client.
   */
  consortium(): Promise<ConsortiumInfo> {
    this._info ??= this._readConsortium();
    this._info.catch(() => (this._info = undefined));
    return this._info;
  }

  private async _readConsortium(): Promise<ConsortiumInfo> {
    const { descriptor } = this._pin;
    const [checks, state] = await this._onChain((provider) =>
      Promise.all([checkPin(provider, descriptor), readConsortium(provider, descriptor.contracts.consortium)]),
    );
    const failure = pinFailure(checks);
    if (failure)
      throw new DomainError("DEPLOYMENT_MISMATCH", `${this._pin.rpcUrl} is not the pinned deployment: ${failure}`);
    return { chainId: descriptor.chainId, contracts: descriptor.contracts, ...state };
  }

  private get _pin(): ChainPin {
    if (!this._chain)
      throw new DomainError("NO_CHAIN_PIN", "signing needs a chain RPC endpoint and a pinned consortium descriptor");
    return this._chain;
  }

  /** Runs reads against the pinned RPC endpoint with a provider of their own, closed afterwards. */
  private async _onChain<T>(read: (provider: JsonRpcProvider) => Promise<T>): Promise<T> {
    const provider = new JsonRpcProvider(this._pin.rpcUrl, undefined, { batchMaxCount: 1 });
    try {
      return await read(provider);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        "CHAIN_UNREACHABLE",
        `cannot read the pinned consortium through ${this._pin.rpcUrl}: ${error instanceof Error ? error.message : error}`,
      );
    } finally {
      provider.destroy();
    }
  }

  /** Signs a FileClaim with the claimant's current nonce and has the gateway relay it. */
  async createClaim(input: {
    planId: bigint;
    amount: bigint;
    metadataCid: string;
  }): Promise<{ claimId: string; txHash: string }> {
    const info = await this.consortium();
    const domain = claimRegistryDomain(BigInt(info.chainId), info.contracts.claimRegistry);
    const message = { claimant: this.address, ...input, nonce: await this._claimNonce(info), deadline: deadline() };
    const signature = await this._wallet.signTypedData(domain, FILE_CLAIM_TYPES, message);
    return this._json("POST", "/claims", {
      claimant: this.address,
      planId: input.planId.toString(),
      amount: input.amount.toString(),
      metadataCid: input.metadataCid,
      nonce: message.nonce.toString(),
      deadline: message.deadline.toString(),
      signature,
    });
  }

  /**
   * Disputes a rejection or a partial approval: signs a DisputeClaim with the claimant's current
   * nonce (from the chain) and has the gateway relay it. Outside the window, or for a claim approved
   * in full, the gateway answers 409 with a stable code.
   */
  async dispute(claimId: bigint): Promise<{ claimId: string; state: string; txHash: string; blockNumber: number }> {
    const info = await this.consortium();
    const domain = claimRegistryDomain(BigInt(info.chainId), info.contracts.claimRegistry);
    const message = { claimId, nonce: await this._claimNonce(info), deadline: deadline() };
    const signature = await this._wallet.signTypedData(domain, DISPUTE_CLAIM_TYPES, message);
    return this._json("POST", `/claims/${claimId}/dispute`, {
      nonce: message.nonce.toString(),
      deadline: message.deadline.toString(),
      signature,
    });
  }

  /** The claimant's next FileClaim or DisputeClaim nonce (one sequence), from the chain. */
  private _claimNonce(info: ConsortiumInfo): Promise<bigint> {
    return this._onChain((provider) =>
      ClaimRegistry__factory.connect(info.contracts.claimRegistry, provider).nonces(this.address),
    );
  }

  /**
   * Uploads one file as evidence. Private files are first encrypted (to a temporary file, streaming)
   * for every member's encryption key; what is hashed, signed and uploaded is that envelope.
   */
  async submitEvidence(
    claimId: bigint,
    path: string,
    options: { kind: "public" | "private"; onProgress?: (sent: number, total: number) => void },
  ): Promise<SubmittedEvidence> {
    const info = await this.consortium();
    const work = await mkdtemp(join(tmpdir(), "aidproof-upload-"));
    try {
      let upload = path;
      if (options.kind === "private") {
        upload = join(work, "envelope");
        const recipients = info.members.map((m) => m.encryptionKey);
        await pipeline(Readable.from(encryptEnvelope(createReadStream(path), recipients)), createWriteStream(upload));
      }
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(upload)) hash.update(chunk as Buffer);
      const contentHash = `0x${hash.digest("hex")}`;
      const message = {
        claimId,
        contentHash,
        kind: options.kind === "private" ? 1 : 0,
        nonce: BigInt(`0x${randomBytes(16).toString("hex")}`),
        deadline: deadline(),
      };
      const domain = evidenceDomain(BigInt(info.chainId), info.contracts.evidenceRegistry);
      const signature = await this._wallet.signTypedData(domain, EVIDENCE_TYPES, message);
      const fields = {
        kind: options.kind,
        contentHash,
        nonce: message.nonce.toString(),
        deadline: message.deadline.toString(),
        signature,
      };
      const accepted = await this._upload(`/claims/${claimId}/evidence`, fields, upload, options.onProgress);
      return { ...accepted, file: path, kind: options.kind };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  receipt(receiptId: string): Promise<ReceiptView> {
    return this._json("GET", `/receipts/${receiptId}`);
  }

  /** Polls until the receipt reaches `status` (anchored, or confirmed by M validators). */
  async waitForReceipt(receiptId: string, status: "anchored" | "confirmed", timeoutMs = 60_000): Promise<ReceiptView> {
    const until = Date.now() + timeoutMs;
    const rank = { pending: 0, anchored: 1, confirmed: 2, rejected: 2, refused: 2 };
    for (;;) {
      const receipt = await this.receipt(receiptId);
      if (rank[receipt.status] >= rank[status]) return receipt;
      if (Date.now() > until)
        throw new DomainError("TIMEOUT", `receipt ${receiptId} still ${receipt.status} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Streams a multipart body (fields, then the file) and reports bytes sent. */
  private async _upload(
    path: string,
    fields: Record<string, string>,
    file: string,
    onProgress?: (sent: number, total: number) => void,
  ): Promise<{ receiptId: string; cid: string; size: number }> {
    const boundary = `aidproof-${randomBytes(12).toString("hex")}`;
    const total = (await stat(file)).size;
    const head = Buffer.from(
      Object.entries(fields)
        .map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join("") +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="evidence"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    let sent = 0;
    const body = Readable.from(
      (async function* () {
        yield head;
        for await (const chunk of createReadStream(file)) {
          sent += (chunk as Buffer).length;
          onProgress?.(sent, total);
          yield chunk as Buffer;
        }
        yield tail;
      })(),
    );
    return this._json("POST", path, body, `multipart/form-data; boundary=${boundary}`);
  }

  private _json<T>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
    return gatewayJson<T>(this.gatewayUrl, method, path, body, contentType);
  }
}

/** One JSON request to a gateway; an error answer becomes a {@link GatewayError} with its code. */
export async function gatewayJson<T>(
  gatewayUrl: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, gatewayUrl), {
      method,
      headers: body === undefined ? {} : { "content-type": contentType },
      body:
        body === undefined
          ? undefined
          : body instanceof Readable
            ? (Readable.toWeb(body) as ReadableStream)
            : JSON.stringify(body),
      duplex: "half",
    } as RequestInit);
  } catch (error) {
    throw new DomainError(
      "GATEWAY_UNREACHABLE",
      `cannot reach ${gatewayUrl}: ${error instanceof Error ? error.message : error}`,
    );
  }
  const text = await response.text();
  const parsed = text
    ? (JSON.parse(text) as T & { error?: { code: string; message: string; details?: Record<string, unknown> } })
    : ({} as T);
  if (!response.ok) {
    const e = (parsed as { error?: { code: string; message: string; details?: Record<string, unknown> } }).error;
    throw new GatewayError(
      response.status,
      e?.code ?? "HTTP_ERROR",
      e?.message ?? `HTTP ${response.status}`,
      e?.details,
    );
  }
  return parsed;
}

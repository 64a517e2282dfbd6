import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { JsonRpcProvider, Wallet, encodeBytes32String, isError, type ContractTransactionResponse } from "ethers";
import { ClaimRegistry__factory, type ClaimRegistry } from "../../../typechain-types";
import { DomainError } from "../errors";
import type { ConsortiumDescriptor } from "../verify/descriptor";
import { computeEvidenceSet, type EvidenceSet } from "../evidence/evidenceSet";
import { inRanges } from "../chain/logRanges";
import {
  canonicalReasonBytes,
  parseReasonDocument,
  rawCidOfSha256,
  reasonHash as hashOfReason,
  type ReasonDocument,
} from "../verify/reason";
import { decryptEnvelope, EnvelopeNotRecipientError } from "../crypto/envelope";
import { fetchVerifiedBytes } from "../store/gatewayClient";
import { onChain, toDomainError } from "../chain/chainAdapter";
import { CLAIM_STATES } from "../services/claimService";

export interface ReviewerOptions {
  /** The member's own RPC endpoint (any endpoint of the consortium's chain): every read and write goes there. */
  rpcUrl: string;
  descriptor: ConsortiumDescriptor;
  /** Any gateway: only for content by CID (verified here) and for publishing the public reason document. */
  gatewayUrl: string;
  /** The member's validator key: it signs the member's endorsements and payouts. */
  validatorKey: string;
  /** The member's encryption key: it opens private evidence, on this machine only. */
  encryptionKey?: string;
}

export interface ReviewQueueEntry {
  claimId: string;
  state: string;
  amountRequested: string;
  /** What this member can do: start the review, or endorse a decision. */
  action: "start review" | "decide" | "pay";
}

export interface OpenedItem {
  leafHash: string;
  cid: string;
  kind: "public" | "private";
  path: string;
}

export interface PendingEndorsement {
  validator: string;
  decision: "approve" | "reject";
  amount: string;
  evidenceRoot: string;
  reasonCid: string;
}

export interface DecisionInput {
  decision: "approve" | "reject";
  amount: bigint;
  reason: ReasonDocument;
  /** The evidence-set root the member reviewed: the tool refuses to endorse any other. */
  evidenceRoot: string;
}

export interface Endorsed {
  txHash: string;
  reasonHash: string;
  reasonCid: string;
  /** True when this endorsement was the M-th: the decision is final. */
  decided: boolean;
}

const REVIEWABLE = { Filed: 1, UnderReview: 2, Approved: 3 } as const;
const MAX_ITEM_BYTES = 100 * 1024 * 1024;

/**
 * A member organization's review tools (docs/architecture.md, "Claim review"). Keys stay here: the
 * member signs its own transactions and sends them to its own RPC endpoint; the gateway only serves
 * content by CID (verified against the CID here) and stores the public reason document. The evidence
 * set is recomputed from the chain and the manifests, never taken from the gateway.
 */
export class Reviewer {
  private readonly _provider: JsonRpcProvider;
  private readonly _wallet: Wallet;
  private readonly _claims: ClaimRegistry;
  private readonly _manifests = new Map<string, Uint8Array>();

  constructor(private readonly _options: ReviewerOptions) {
    this._provider = new JsonRpcProvider(_options.rpcUrl, Number(_options.descriptor.chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
    });
    this._wallet = new Wallet(_options.validatorKey, this._provider);
    this._claims = ClaimRegistry__factory.connect(_options.descriptor.contracts.claimRegistry, this._wallet);
  }

  get address(): string {
    return this._wallet.address;
  }

  destroy(): void {
    this._provider.destroy();
  }

  /** Claims waiting for this member: to start reviewing, under review without its endorsement, or approved and unpaid. */
  async queue(): Promise<ReviewQueueEntry[]> {
    const head = await this._provider.getBlockNumber();
    const from = this._options.descriptor.deploymentBlock;
    const [changes, mine] = await Promise.all([
      inRanges(
        from,
        "latest",
        (a, b) => this._claims.queryFilter(this._claims.filters.ClaimStateChanged(), a, b),
        head,
      ),
      inRanges(
        from,
        "latest",
        (a, b) => this._claims.queryFilter(this._claims.filters.ClaimEndorsed(undefined, this._wallet.address), a, b),
        head,
      ),
    ]);
    const state = new Map<string, number>();
    for (const log of changes) state.set(log.args.claimId.toString(), Number(log.args.to));
    const endorsed = new Set(mine.map((log) => log.args.claimId.toString()));
    const queue: ReviewQueueEntry[] = [];
    for (const [claimId, s] of state) {
      const waiting =
        s === REVIEWABLE.Filed || s === REVIEWABLE.Approved || (s === REVIEWABLE.UnderReview && !endorsed.has(claimId));
      if (!waiting) continue;
      const claim = await this._claims.claim(claimId);
      queue.push({
        claimId,
        state: CLAIM_STATES[s],
        amountRequested: claim.amountRequested.toString(),
        action: s === REVIEWABLE.Filed ? "start review" : s === REVIEWABLE.Approved ? "pay" : "decide",
      });
    }
    return queue;
  }

  /** Filed -> UnderReview: fixes the claim's evidence set (batches anchored before this block). */
  async startReview(claimId: bigint): Promise<string> {
    return this._send((o) => this._claims.startReview(claimId, o));
  }

  /** The claim's evidence set, recomputed from the chain and the batch manifests. */
  async evidenceSet(claimId: bigint): Promise<EvidenceSet> {
    return computeEvidenceSet(
      {
        provider: this._provider,
        contracts: this._options.descriptor.contracts,
        deploymentBlock: this._options.descriptor.deploymentBlock,
        fetch: async (cid) => {
          const cached = this._manifests.get(cid) ?? (await this._fetch(cid, 32 * 1024 * 1024));
          this._manifests.set(cid, cached);
          return cached;
        },
      },
      claimId,
    );
  }

  /**
   * Fetches every item of the evidence set by CID (each block verified), checks it against its leaf,
   * and writes it into `outDir`: public items as stored, private ones decrypted with this member's
   * key. Nothing leaves this machine.
   */
  async open(claimId: bigint, outDir: string): Promise<{ set: EvidenceSet; items: OpenedItem[] }> {
    const set = await this.evidenceSet(claimId);
    mkdirSync(outDir, { recursive: true });
    const items: OpenedItem[] = [];
    for (const [i, entry] of set.items.entries()) {
      const { item } = entry;
      const bytes = await this._fetch(item.cid, Math.min(item.size, MAX_ITEM_BYTES));
      const sha = `0x${createHash("sha256").update(bytes).digest("hex")}`;
      if (sha !== item.contentHash.toLowerCase())
        throw new DomainError("EVIDENCE_MISMATCH", `item ${item.cid}: its bytes do not match the leaf's SHA-256`);
      const kind = item.kind === 1 ? "private" : "public";
      const path = join(outDir, `${String(i + 1).padStart(3, "0")}-${kind}-${item.cid.slice(-12)}`);
      writeFileSync(path, kind === "private" ? this._decrypt(item.cid, bytes) : bytes, { mode: 0o600 });
      items.push({ leafHash: entry.leafHash, cid: item.cid, kind, path });
    }
    return { set, items };
  }

  /**
   * Endorses a decision over the evidence set this member reviewed. Refused here, before anything is
   * sent, when the set recomputed now has another root, when the reason document does not describe
   * this decision, or when the claim is not under review.
   */
  async decide(claimId: bigint, input: DecisionInput): Promise<Endorsed> {
    const claim = await onChain(() => this._claims.claim(claimId));
    if (Number(claim.state) !== REVIEWABLE.UnderReview)
      throw new DomainError(
        "INVALID_CLAIM_STATE",
        `claim ${claimId} is ${CLAIM_STATES[Number(claim.state)]}, not under review`,
      );
    const set = await this.evidenceSet(claimId);
    if (set.root.toLowerCase() !== input.evidenceRoot.toLowerCase())
      throw new DomainError(
        "EVIDENCE_ROOT_MISMATCH",
        `refused: the evidence set recomputed from the chain and the manifests has root ${set.root} (${set.items.length} items), not ${input.evidenceRoot}; open it again (aidproof review open ${claimId}) and review what it holds`,
      );
    checkReasonMatches(claimId, claim.amountRequested, input);
    const hash = await hashOfReason(input.reason);
    const cid = await this._publishReason(input.reason, hash);
    const decision = input.decision === "approve" ? 1 : 2;
    const amount = input.decision === "approve" ? input.amount : 0n;
    const txHash = await this._send((o) => this._claims.endorse(claimId, decision, set.root, amount, hash, o));
    const after = await this._claims.claim(claimId);
    return { txHash, reasonHash: hash, reasonCid: cid, decided: Number(after.state) !== REVIEWABLE.UnderReview };
  }

  /**
   * Each member's current endorsement of the claim (a later one replaces an earlier one), so members
   * who wrote different reasons can converge on one: `reason(cid)` fetches it.
   */
  async endorsements(claimId: bigint): Promise<PendingEndorsement[]> {
    const head = await this._provider.getBlockNumber();
    const logs = await inRanges(
      this._options.descriptor.deploymentBlock,
      "latest",
      (a, b) => this._claims.queryFilter(this._claims.filters.ClaimEndorsed(claimId), a, b),
      head,
    );
    const current = new Map<string, PendingEndorsement>();
    for (const log of logs) {
      const { validator, decision, amount, evidenceRoot, reasonHash } = log.args;
      current.delete(validator);
      current.set(validator, {
        validator,
        decision: Number(decision) === 1 ? "approve" : "reject",
        amount: amount.toString(),
        evidenceRoot,
        reasonCid: rawCidOfSha256(reasonHash),
      });
    }
    return [...current.values()];
  }

  /** A published reason document, fetched by its CID (verified) and checked against the schema. */
  async reason(cid: string): Promise<ReasonDocument> {
    const bytes = await this._fetch(cid, 1024 * 1024);
    try {
      return parseReasonDocument(JSON.parse(new TextDecoder().decode(bytes)));
    } catch (error) {
      throw new DomainError(
        "INVALID_REASON",
        `${cid} is not a reason document: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /** Approved -> Paid, with this member's payment reference (at most 31 bytes of text). */
  async recordPayout(claimId: bigint, reference: string): Promise<string> {
    let word: string;
    try {
      word = encodeBytes32String(reference);
    } catch {
      throw new DomainError("INVALID_REFERENCE", "a payment reference is 1 to 31 bytes of text");
    }
    if (reference.length === 0)
      throw new DomainError("INVALID_REFERENCE", "a payment reference is 1 to 31 bytes of text");
    return this._send((o) => this._claims.recordPayout(claimId, word, o));
  }

  private _decrypt(cid: string, envelope: Uint8Array): Buffer {
    if (!this._options.encryptionKey)
      throw new DomainError("NO_ENCRYPTION_KEY", `item ${cid} is private: this member's encryption key is needed`);
    try {
      return decryptEnvelope(envelope, this._options.encryptionKey);
    } catch (error) {
      if (error instanceof EnvelopeNotRecipientError)
        throw new DomainError(
          "NOT_A_RECIPIENT",
          `item ${cid} holds no wrapped key for this member's encryption key: it was encrypted to the members of its day; a member that was a recipient can open it`,
        );
      throw error;
    }
  }

  /** Stores the public reason document through the gateway, and checks it can be read back by its CID. */
  private async _publishReason(reason: ReasonDocument, hash: string): Promise<string> {
    const expected = rawCidOfSha256(hash);
    const response = await fetch(new URL("/reasons", this._options.gatewayUrl), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(reason),
    }).catch((error: unknown) => {
      throw new DomainError("GATEWAY_UNAVAILABLE", `cannot reach ${this._options.gatewayUrl}: ${String(error)}`);
    });
    const body = (await response.json().catch(() => ({}))) as { cid?: string; error?: { message?: string } };
    if (!response.ok || body.cid !== expected)
      throw new DomainError(
        "REASON_NOT_STORED",
        `the gateway did not store the reason document as ${expected}: ${body.error?.message ?? `HTTP ${response.status}, CID ${body.cid}`}`,
      );
    const stored = await this._fetch(expected, 1024 * 1024);
    if (Buffer.compare(Buffer.from(stored), Buffer.from(canonicalReasonBytes(reason))) !== 0)
      throw new DomainError("REASON_NOT_STORED", "the gateway serves other bytes for the reason document");
    return expected;
  }

  private async _fetch(cid: string, maxBytes: number): Promise<Uint8Array> {
    try {
      return await fetchVerifiedBytes(this._options.gatewayUrl, cid, maxBytes);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        "CONTENT_UNAVAILABLE",
        `cannot fetch ${cid}: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  /**
   * Sends one transaction from this member's key and waits for it to be mined. The member's validator
   * node signs with the same key: a send that lost a nonce race to it is sent again.
   */
  private async _send(
    send: (overrides: { nonce: number }) => Promise<ContractTransactionResponse>,
    attempts = 3,
  ): Promise<string> {
    try {
      // A raw read: ethers answers a repeated nonce read from a short cache, so back-to-back sends collided.
      const nonce = Number(await this._provider.send("eth_getTransactionCount", [this._wallet.address, "pending"]));
      const tx = await send({ nonce });
      const receipt = await tx.wait(1, 120_000);
      if (receipt?.status !== 1) throw new DomainError("CONTRACT_REJECTED", `transaction ${tx.hash} reverted`);
      return tx.hash;
    } catch (error) {
      if ((isError(error, "NONCE_EXPIRED") || isError(error, "REPLACEMENT_UNDERPRICED")) && attempts > 1)
        return this._send(send, attempts - 1);
      const domain = toDomainError(error);
      if (domain.details?.contractError === "ConsortiumGatedUnauthorizedAccount")
        throw new DomainError("NOT_A_MEMBER", `${this._wallet.address} is not a current member's validator key`);
      throw domain;
    }
  }
}

/** The reason document must describe exactly this decision on this claim. */
function checkReasonMatches(claimId: bigint, amountRequested: bigint, input: DecisionInput): void {
  const r = input.reason;
  const expectedApproved = input.decision === "approve" ? input.amount : 0n;
  const problems = [
    r.claimId !== claimId.toString() && `its claimId is ${r.claimId}, not ${claimId}`,
    r.decision !== input.decision && `its decision is ${r.decision}, not ${input.decision}`,
    r.amountRequested !== amountRequested.toString() &&
      `its amountRequested is ${r.amountRequested}; the claim asks ${amountRequested}`,
    r.amountApproved !== expectedApproved.toString() &&
      `its amountApproved is ${r.amountApproved}, not ${expectedApproved}`,
    input.decision === "approve" &&
      (input.amount <= 0n || input.amount > amountRequested) &&
      `an approval is for 1 to ${amountRequested}`,
  ].filter(Boolean);
  if (problems.length > 0)
    throw new DomainError(
      "REASON_MISMATCH",
      `the reason document does not describe this decision: ${problems.join("; ")}`,
    );
}

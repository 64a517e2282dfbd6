import { Interface, JsonRpcProvider, NonceManager, Wallet, isError, type TransactionReceipt } from "ethers";
import {
  AnnouncementRegistry__factory,
  ChargeRegistry__factory,
  ClaimRegistry__factory,
  Consortium__factory,
  EvidenceRegistry__factory,
  JuryCourt__factory,
  MembershipRegistry__factory,
  type AnnouncementRegistry,
  type ChargeRegistry,
  type ClaimRegistry,
  type Consortium,
  type EvidenceRegistry,
  type JuryCourt,
  type MembershipRegistry,
} from "../../../typechain-types";
import { decodeClaimResult, encodeClaimCall, type ClaimFields } from "./claimCall";
import { SerialSender } from "./serialSender";
import { readConsortium, type ConsortiumState } from "./consortiumReader";
import type { ContractAddresses } from "../config";
import type { SignedFileClaim } from "./typedData";
import { DomainError } from "../errors";

/** Contract custom errors as the API's domain errors: codes are stable, reverts never leak. */
const DOMAIN_ERRORS: Record<string, { code: string; message: string }> = {
  ClaimRegistryInvalidSignature: { code: "INVALID_SIGNATURE", message: "the claimant's signature does not match" },
  ClaimRegistryExpiredSignature: { code: "SIGNATURE_EXPIRED", message: "the signed message has expired" },
  InvalidAccountNonce: { code: "NONCE_ALREADY_USED", message: "the nonce was used already or is out of order" },
  ClaimRegistryInvalidClaim: {
    code: "INVALID_CLAIM",
    message: "a claim needs a claimant, an amount and a metadata CID",
  },
  ClaimRegistryUnknownClaim: { code: "CLAIM_NOT_FOUND", message: "no such claim" },
  ClaimRegistryInvalidTransition: { code: "INVALID_CLAIM_STATE", message: "the claim's state does not allow this" },
  ClaimRegistryAlreadyDisputed: { code: "INVALID_CLAIM_STATE", message: "the claim was disputed once already" },
  ClaimRegistryDisputeWindowClosed: { code: "DISPUTE_WINDOW_CLOSED", message: "the dispute window has closed" },
  ClaimRegistryApprovedInFull: {
    code: "CLAIM_NOT_DISPUTABLE",
    message: "the claim was approved for everything asked: there is nothing to dispute",
  },
  ClaimRegistryNotClaimant: { code: "NOT_CLAIMANT", message: "only the claimant may do this" },
  ClaimRegistryDisputeWindowOpen: {
    code: "DISPUTE_WINDOW_OPEN",
    message: "a partial approval is paid once its dispute window has closed",
  },
  ClaimRegistryAlreadyEndorsed: {
    code: "ALREADY_ENDORSED",
    message: "this member endorsed this claim's review already",
  },
  ClaimRegistryInvalidDecision: {
    code: "INVALID_DECISION",
    message: "the decision's amount, root or reason is invalid",
  },
  ClaimRegistryEmptyPaymentReference: { code: "INVALID_REFERENCE", message: "a payout needs a payment reference" },
  AnnouncementRegistryPeriodOpen: { code: "PERIOD_OPEN", message: "the period has not closed yet" },
  AnnouncementRegistryAlreadyPublished: {
    code: "ANNOUNCEMENT_EXISTS",
    message: "the period's announcement is published already",
  },
  AnnouncementRegistryNotPending: { code: "ANNOUNCEMENT_NOT_PENDING", message: "no such pending announcement" },
  EvidenceRegistryBatchAlreadyAnchored: { code: "BATCH_ALREADY_ANCHORED", message: "the batch is anchored already" },
  EvidenceRegistryUnknownBatch: { code: "BATCH_NOT_FOUND", message: "no such batch" },
  ConsortiumGatedUnauthorizedAccount: { code: "GATEWAY_NOT_AUTHORIZED", message: "the gateway key lacks its role" },
  ConsortiumGatedPaused: { code: "CONSORTIUM_PAUSED", message: "the consortium is paused" },
};

const ERROR_INTERFACES = [
  ClaimRegistry__factory.createInterface(),
  AnnouncementRegistry__factory.createInterface(),
  EvidenceRegistry__factory.createInterface(),
  JuryCourt__factory.createInterface(),
  Consortium__factory.createInterface(),
];

export class ChainUnavailableError extends DomainError {
  constructor(reason: string) {
    super("CHAIN_UNAVAILABLE", `the chain node is unreachable: ${reason}`);
  }
}

function revertData(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 5; ++depth) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data;
    e =
      (e as { error?: unknown; info?: { error?: unknown } }).error ?? (e as { info?: { error?: unknown } }).info?.error;
  }
  return undefined;
}

/** Turns whatever ethers threw into a domain error: a decoded custom error, or "chain unavailable". */
export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const data = revertData(error);
  if (data) {
    for (const iface of ERROR_INTERFACES as Interface[]) {
      const parsed = iface.parseError(data);
      if (!parsed) continue;
      const known = DOMAIN_ERRORS[parsed.name];
      const args = Object.fromEntries(parsed.fragment.inputs.map((input, i) => [input.name, String(parsed.args[i])]));
      if (known) return new DomainError(known.code, known.message, { contractError: parsed.name, ...args });
      return new DomainError("CONTRACT_REJECTED", `the contract rejected the call (${parsed.name})`, {
        contractError: parsed.name,
        ...args,
      });
    }
  }
  if (isError(error, "CALL_EXCEPTION")) {
    return new DomainError("CONTRACT_REJECTED", "the contract rejected the call", { reason: error.shortMessage });
  }
  return new ChainUnavailableError(error instanceof Error ? error.message.split("\n")[0] : String(error));
}

/** Awaits `work`, translating failures with {@link toDomainError}. */
/**
 * How long an anchor's receipt is awaited before the batcher looks again: an anchor mines within a
 * block or two, and one the node lost (killed before mining it) is then re-sent instead of waited for.
 */
const ANCHOR_RECEIPT_MS = 20_000;

export async function onChain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toDomainError(error);
  }
}

export interface OnChainBatch {
  index: number;
  leafCount: number;
  anchoredAt: number;
  anchoredBlock: number;
  status: number;
  manifestCidHash: string;
}

export interface OnChainClaim extends ClaimFields {
  claimId: string;
}

/**
 * The chain, for the gateway: typed contracts, a nonce-managed gateway signer, and plain objects
 * out. Every contract failure leaves here as a {@link DomainError}.
 */
export class ChainAdapter {
  readonly provider: JsonRpcProvider;
  readonly signer: NonceManager;
  /** The gateway key's address: batch roots are bound to it. */
  readonly gatewayAddress: string;
  private readonly _sender: SerialSender;
  readonly consortium: Consortium;
  readonly evidenceRegistry: EvidenceRegistry;
  readonly claimRegistry: ClaimRegistry;
  readonly announcementRegistry: AnnouncementRegistry;
  readonly juryCourt: JuryCourt;
  readonly membershipRegistry: MembershipRegistry;
  readonly chargeRegistry: ChargeRegistry;

  constructor(
    rpcUrl: string,
    gatewayKey: string,
    readonly addresses: ContractAddresses,
    readonly chainId: bigint,
  ) {
    // staticNetwork: no chain-id round trip per call; batchMaxCount 1: no 10 ms batching stall.
    this.provider = new JsonRpcProvider(rpcUrl, Number(chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      pollingInterval: 100,
    });
    const wallet = new Wallet(gatewayKey, this.provider);
    this.gatewayAddress = wallet.address;
    this.signer = new NonceManager(wallet);
    this._sender = new SerialSender(this.signer, this.provider);
    this.consortium = Consortium__factory.connect(addresses.consortium, this.signer);
    this.evidenceRegistry = EvidenceRegistry__factory.connect(addresses.evidenceRegistry, this.signer);
    this.claimRegistry = ClaimRegistry__factory.connect(addresses.claimRegistry, this.signer);
    this.announcementRegistry = AnnouncementRegistry__factory.connect(addresses.announcementRegistry, this.signer);
    this.juryCourt = JuryCourt__factory.connect(addresses.juryCourt, this.signer);
    this.membershipRegistry = MembershipRegistry__factory.connect(addresses.membershipRegistry, this.signer);
    this.chargeRegistry = ChargeRegistry__factory.connect(addresses.chargeRegistry, this.signer);
  }

  static async connect(rpcUrl: string, gatewayKey: string, addresses: ContractAddresses): Promise<ChainAdapter> {
    const probe = new JsonRpcProvider(rpcUrl, undefined, { batchMaxCount: 1 });
    const { chainId } = await onChain(() => probe.getNetwork());
    probe.destroy();
    return new ChainAdapter(rpcUrl, gatewayKey, addresses, chainId);
  }

  /** Sends the anchor transaction; the caller awaits its receipt separately. */
  async sendAnchor(
    leavesRoot: string,
    salt: string,
    leafCount: number,
    manifestCid: string,
  ): Promise<{ hash: string; wait: () => Promise<TransactionReceipt> }> {
    return onChain(async () => {
      const tx = await this._sender.send(() =>
        this.evidenceRegistry.anchorBatch(leavesRoot, salt, leafCount, manifestCid),
      );
      return {
        hash: tx.hash,
        wait: () => onChain(async () => (await this.provider.waitForTransaction(tx.hash, 1, ANCHOR_RECEIPT_MS))!),
      };
    });
  }

  /** Re-reads the signer's nonce from the chain: after a failed send or a node restart. */
  resetNonce(): void {
    this.signer.reset();
  }

  async batch(root: string): Promise<OnChainBatch | undefined> {
    try {
      const b = await this.evidenceRegistry.batch(root);
      return {
        index: Number(b.index),
        leafCount: Number(b.leafCount),
        anchoredAt: Number(b.anchoredAt),
        anchoredBlock: Number(b.anchoredBlock),
        status: Number(b.status),
        manifestCidHash: b.manifestCidHash,
      };
    } catch (error) {
      const domain = toDomainError(error);
      if (domain.code === "BATCH_NOT_FOUND") return undefined;
      throw domain;
    }
  }

  async claim(claimId: bigint): Promise<OnChainClaim | undefined> {
    try {
      // A raw eth_call with the layout written out (claimCall.ts): the gateway reads a claim on every
      // upload round trip, and the Contract's call path cost most of that read's event-loop time.
      const result = (await this.provider.send("eth_call", [
        { to: this.addresses.claimRegistry, data: encodeClaimCall(claimId) },
        "latest",
      ])) as string;
      return { claimId: claimId.toString(), ...decodeClaimResult(result) };
    } catch (error) {
      const domain = toDomainError(error);
      if (domain.code === "CLAIM_NOT_FOUND") return undefined;
      throw domain;
    }
  }

  /** Relays a claimant-signed FileClaim; resolves with the new claim id once mined. */
  async fileClaimFor(
    input: SignedFileClaim,
  ): Promise<{ claimId: string; txHash: string; blockNumber: number; blockHash: string }> {
    return onChain(async () => {
      const tx = await this._sender.send(() =>
        this.claimRegistry.fileClaimFor(
          input.claimant,
          input.planId,
          input.amount,
          input.metadataCid,
          input.nonce,
          input.deadline,
          input.signature,
        ),
      );
      const receipt = (await this.provider.waitForTransaction(tx.hash, 1, 120_000))!;
      if (receipt.status !== 1) {
        // Simulated fine, reverted when mined: the same signature was relayed concurrently.
        if ((await this.claimRegistry.nonces(input.claimant)) > input.nonce) {
          throw new DomainError(DOMAIN_ERRORS.InvalidAccountNonce.code, DOMAIN_ERRORS.InvalidAccountNonce.message);
        }
        throw new DomainError("CONTRACT_REJECTED", "the claim transaction reverted");
      }
      const filed = receipt.logs
        .map((log) => this.claimRegistry.interface.parseLog(log))
        .find((parsed) => parsed?.name === "ClaimFiled");
      return {
        claimId: filed!.args.claimId.toString(),
        txHash: tx.hash,
        blockNumber: receipt.blockNumber,
        blockHash: receipt.blockHash,
      };
    }).catch((error: DomainError) => {
      this.resetNonce();
      throw error;
    });
  }

  /** Relays a claimant-signed DisputeClaim; resolves once mined. */
  async disputeFor(input: {
    claimId: bigint;
    nonce: bigint;
    deadline: bigint;
    signature: string;
  }): Promise<{ txHash: string; blockNumber: number }> {
    return this.transact(
      () => this.claimRegistry.disputeFor(input.claimId, input.nonce, input.deadline, input.signature),
      "the dispute transaction reverted",
    );
  }

  /** Publishes a closed period's announcement; resolves once mined. */
  async publishAnnouncement(
    period: bigint,
    root: string,
    entryCount: number,
    manifestCid: string,
  ): Promise<{ txHash: string; blockNumber: number }> {
    return this.transact(
      () => this.announcementRegistry.publish(period, root, entryCount, manifestCid),
      "the announcement transaction reverted",
    );
  }

  /** Sends one gateway transaction in nonce order and resolves once it is mined. */
  async transact(
    send: () => Promise<{ hash: string }>,
    reverted: string,
  ): Promise<{ txHash: string; blockNumber: number }> {
    return onChain(async () => {
      const tx = await this._sender.send(send);
      const receipt = (await this.provider.waitForTransaction(tx.hash, 1, 120_000))!;
      if (receipt.status !== 1) throw new DomainError("CONTRACT_REJECTED", reverted);
      return { txHash: tx.hash, blockNumber: receipt.blockNumber };
    });
  }

  async consortiumInfo(): Promise<ConsortiumState> {
    return onChain(() => readConsortium(this.provider, this.addresses.consortium));
  }

  async claimNonce(claimant: string): Promise<bigint> {
    return onChain(() => this.claimRegistry.nonces(claimant));
  }

  async validatorEncryptionKeys(): Promise<string[]> {
    return (await this.consortiumInfo()).members.map((m) => m.encryptionKey);
  }

  /** The hash of block `n` of the chain as the node has it now, or undefined beyond its head. */
  async blockHash(n: number): Promise<string> {
    return onChain(async () => {
      const hash = (await this.provider.getBlock(n))?.hash;
      if (!hash) throw new DomainError("CHAIN_UNAVAILABLE", `block ${n} is not on the chain`);
      return hash;
    });
  }

  async blockNumber(): Promise<number> {
    return onChain(() => this.provider.getBlockNumber());
  }

  destroy(): void {
    this.provider.destroy();
  }
}

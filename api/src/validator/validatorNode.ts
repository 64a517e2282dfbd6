import { createHash } from "node:crypto";
import { JsonRpcProvider, NonceManager, Wallet, keccak256, toUtf8Bytes } from "ethers";
import {
  EvidenceRegistry__factory,
  ClaimRegistry__factory,
  type EvidenceRegistry,
  type ClaimRegistry,
} from "../../../typechain-types";
import type { ContractAddresses } from "../config";
import { buildEvidenceTree } from "../chain/evidenceLeaf";
import { EvidenceSignatureVerifier } from "../chain/signatures";
import { onChain } from "../chain/chainAdapter";
import { SerialSender } from "../chain/serialSender";
import { manifestLeaf, manifestSchema, type BatchManifest } from "../batcher/manifest";
import { parseEnvelopeHeader } from "../crypto/envelope";
import type { Logger } from "../logger";

/** Fetches content by CID, verifying every block (the store, or a trustless gateway). */
export type ContentFetcher = (cid: string) => AsyncIterable<Uint8Array>;

export interface BatchVerdict {
  valid: boolean;
  /** Why a batch is invalid; empty when valid. */
  problems: string[];
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

/**
 * One consortium member's validator: for every anchored batch it fetches the manifest and every item
 * by CID, re-derives the Merkle root, checks each hash, size, claimant and EIP-712 signature, and
 * attests the batch valid or invalid with its own key. It trusts neither the gateway nor the store:
 * content is verified against its CID, claimants against the chain.
 */
export class ValidatorNode {
  private readonly _provider: JsonRpcProvider;
  private readonly _signer: NonceManager;
  private readonly _evidence: EvidenceRegistry;
  private readonly _claims: ClaimRegistry;
  private _running = false;
  private _loop: Promise<void> | undefined;
  private _cursor: number;
  /** This member's transactions, one at a time: nonces never race or gap. */
  private readonly _sender: SerialSender;

  constructor(
    rpcUrl: string,
    privateKey: string,
    private readonly _addresses: ContractAddresses,
    private readonly _chainId: bigint,
    private readonly _fetch: ContentFetcher,
    fromBlock: number,
    private readonly _log: Logger,
    private readonly _pollMs = 500,
  ) {
    this._provider = new JsonRpcProvider(rpcUrl, Number(_chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      pollingInterval: 100,
    });
    this._signer = new NonceManager(new Wallet(privateKey, this._provider));
    this._sender = new SerialSender(this._signer);
    this._evidence = EvidenceRegistry__factory.connect(_addresses.evidenceRegistry, this._signer);
    this._claims = ClaimRegistry__factory.connect(_addresses.claimRegistry, this._provider);
    this._cursor = fromBlock - 1;
  }

  get address(): Promise<string> {
    return this._signer.getAddress();
  }

  start(): void {
    this._running = true;
    this._loop = (async () => {
      while (this._running) {
        try {
          await this.processNewBatches();
        } catch (error) {
          this._log.warn({ err: error instanceof Error ? error.message : error }, "validator round failed; retrying");
        }
        await new Promise((resolve) => setTimeout(resolve, this._pollMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this._running = false;
    await this._loop;
    this._provider.destroy();
  }

  /** Filed -> UnderReview, signed by this member. */
  async startReview(claimId: bigint): Promise<void> {
    await this._transact(() => this._claimsAs().startReview(claimId));
  }

  /** Endorses a review decision over `evidenceRoot` (1 = approve, 2 = reject). */
  async endorse(claimId: bigint, decision: 1 | 2, evidenceRoot: string, amount: bigint): Promise<void> {
    await this._transact(() => this._claimsAs().endorse(claimId, decision, evidenceRoot, amount));
  }

  /** One transaction at a time, each awaited to its receipt: a validator sends few. */
  private _transact(send: () => Promise<{ hash: string }>): Promise<void> {
    return onChain(() =>
      this._sender.send(async () => {
        const tx = await send();
        const receipt = await this._provider.waitForTransaction(tx.hash, 1, 120_000);
        if (receipt?.status !== 1) throw new Error(`transaction ${tx.hash} reverted`);
      }),
    );
  }

  private _claimsAs(): ClaimRegistry {
    return this._claims.connect(this._signer);
  }

  /** Verifies and attests every batch anchored since the last round that this validator has not attested. */
  async processNewBatches(): Promise<void> {
    const head = await this._provider.getBlockNumber();
    if (head <= this._cursor) return;
    const logs = await this._evidence.queryFilter(this._evidence.filters.BatchAnchored(), this._cursor + 1, head);
    const me = await this.address;
    for (const log of logs) {
      const { root, leafCount, manifestCid } = log.args;
      const [valid, invalid] = await this._evidence.attestations(root);
      if ([...valid, ...invalid].includes(me)) continue;
      const verdict = await this.verifyBatch(root, Number(leafCount), manifestCid);
      if (!verdict.valid) this._log.warn({ root, problems: verdict.problems.slice(0, 10) }, "batch is invalid");
      await this._transact(() => this._evidence.attestBatch(root, verdict.valid));
      this._log.info({ root, valid: verdict.valid }, "batch attested");
    }
    this._cursor = head;
  }

  /** Re-derives a batch from IPFS and the chain; never throws for a bad batch, only for I/O. */
  async verifyBatch(root: string, leafCount: number, manifestCid: string): Promise<BatchVerdict> {
    const problems: string[] = [];
    const batch = await this._evidence.batch(root);
    if (batch.manifestCidHash !== keccak256(toUtf8Bytes(manifestCid)))
      problems.push("manifest CID differs from the anchored one");

    let manifest: BatchManifest;
    try {
      const parsed = manifestSchema.safeParse(JSON.parse((await collect(this._fetch(manifestCid))).toString("utf8")));
      if (!parsed.success)
        return { valid: false, problems: [...problems, `malformed manifest: ${parsed.error.message}`] };
      manifest = parsed.data as BatchManifest;
    } catch (error) {
      if (error instanceof SyntaxError) return { valid: false, problems: [...problems, "manifest is not JSON"] };
      throw error;
    }
    if (manifest.chainId !== this._chainId.toString()) problems.push("manifest names another chain");
    if (manifest.evidenceRegistry.toLowerCase() !== this._addresses.evidenceRegistry.toLowerCase())
      problems.push("manifest names another registry");
    if (manifest.leaves.length !== leafCount)
      problems.push(`leaf count ${manifest.leaves.length} != anchored ${leafCount}`);
    if (buildEvidenceTree(manifest.leaves.map(manifestLeaf)).root !== root) problems.push("Merkle root does not match");

    const signatures = new EvidenceSignatureVerifier(this._chainId, this._addresses.evidenceRegistry);
    const claimants = new Map<string, string | undefined>();
    const nonces = new Set<string>();
    for (const [i, item] of manifest.leaves.entries()) {
      const where = `leaf ${i} (${item.cid})`;
      const nonceKey = `${item.claimant.toLowerCase()}:${item.nonce}`;
      if (nonces.has(nonceKey)) problems.push(`${where}: nonce reused`);
      nonces.add(nonceKey);
      if (!claimants.has(item.claimId)) {
        claimants.set(
          item.claimId,
          await this._claims.claim(item.claimId).then(
            (c) => c.claimant,
            () => undefined,
          ),
        );
      }
      if (claimants.get(item.claimId)?.toLowerCase() !== item.claimant.toLowerCase())
        problems.push(`${where}: not the claim's claimant`);
      const message = {
        claimId: BigInt(item.claimId),
        contentHash: item.contentHash,
        kind: item.kind,
        nonce: BigInt(item.nonce),
        deadline: BigInt(item.deadline),
      };
      let signer = "";
      try {
        signer = signatures.recover(message, item.signature);
      } catch {
        signer = "";
      }
      if (signer.toLowerCase() !== item.claimant.toLowerCase()) problems.push(`${where}: bad claimant signature`);
      let bytes: Buffer;
      try {
        bytes = await collect(this._fetch(item.cid));
      } catch (error) {
        problems.push(`${where}: content unavailable or corrupt (${error instanceof Error ? error.message : error})`);
        continue;
      }
      if (`0x${createHash("sha256").update(bytes).digest("hex")}` !== item.contentHash.toLowerCase())
        problems.push(`${where}: SHA-256 mismatch`);
      if (bytes.length !== item.size) problems.push(`${where}: size mismatch`);
      if (item.kind === 1) {
        try {
          const header = parseEnvelopeHeader(bytes);
          const wrapped = header.recipients.map((r) => r.publicKey).sort();
          if (JSON.stringify(wrapped) !== JSON.stringify(item.recipients.map((r) => r.toLowerCase()).sort())) {
            problems.push(`${where}: recipients differ from the envelope's`);
          }
        } catch {
          problems.push(`${where}: private item is not an envelope`);
        }
      }
    }
    return { valid: problems.length === 0, problems };
  }
}

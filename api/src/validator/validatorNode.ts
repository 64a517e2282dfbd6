import { createHash } from "node:crypto";
import { JsonRpcProvider, NonceManager, Wallet, keccak256, toUtf8Bytes } from "ethers";
import {
  EvidenceRegistry__factory,
  ClaimRegistry__factory,
  type EvidenceRegistry,
  type ClaimRegistry,
} from "../../../typechain-types";
import type { ContractAddresses } from "../config";
import { evidenceLeafHash } from "../chain/evidenceLeaf";
import { EvidenceTree, batchRoot } from "../chain/evidenceTree";
import { EvidenceSignatureVerifier } from "../chain/signatures";
import { onChain } from "../chain/chainAdapter";
import { readConsortium } from "../chain/consortiumReader";
import { SerialSender } from "../chain/serialSender";
import { manifestLeaf, manifestSchema, type BatchManifest } from "../batcher/manifest";
import { decryptEnvelope } from "../crypto/envelope";
import {
  checkClaimTakesEvidence,
  checkEnvelopeRecipients,
  checkItemDeadline,
  checkSignerIsClaimant,
  itemSigner,
} from "../evidence/itemRules";
import { ContentTooLargeError, InvalidCidError } from "../store/errors";
import type { Logger } from "../logger";
import { DomainError } from "../errors";
import { ClaimTimeline, type ChainPosition } from "./claimTimeline";
import { AnnouncementJudge, ManifestUnreachable } from "./announcementJudge";
import {
  AnnouncementRegistry__factory,
  Consortium__factory,
  JuryCourt__factory,
  type AnnouncementRegistry,
} from "../../../typechain-types";
import { JuryJudge } from "./juryJudge";
import { PollLoop } from "../node/pollLoop";
import { ChargeJudge } from "./chargeJudge";
import { MAX_MEMBERSHIP_BATCH_BYTES } from "../charges/membership";
import { ChargeRegistry__factory } from "../../../typechain-types";

/** Fetches content by CID, verifying every block (the store, or a trustless gateway). */
export type ContentFetcher = (cid: string) => AsyncIterable<Uint8Array>;

export interface ValidatorOptions {
  /** This member's encryption private key: a private item this member cannot open is invalid to it. */
  encryptionKey?: string;
  pollMs?: number;
  /** How long a manifest or an item may stay unreachable before it is judged missing. */
  contentGiveUpMs?: number;
  /** Largest item this validator fetches; a larger one is invalid. */
  maxItemBytes?: number;
  /** Largest manifest this validator fetches; a larger one makes the batch invalid. */
  maxManifestBytes?: number;
  /** Blocks per log query. */
  logRangeBlocks?: number;
}

const DEFAULTS = {
  pollMs: 500,
  contentGiveUpMs: 120_000,
  maxItemBytes: 100 * 1024 * 1024,
  maxManifestBytes: 32 * 1024 * 1024,
  logRangeBlocks: 2_000,
};
const RETRY_MIN_MS = 500;
/**
 * How long a verdict's receipt is awaited: a transaction mines within a block or two, and one the
 * node lost (a chain restarted from an older state drops its pending transactions) is then sent
 * again on the next round instead of being waited for, as the batcher does with anchors.
 */
const RECEIPT_WAIT_MS = 20_000;
const RETRY_MAX_MS = 30_000;

export interface LeafVerdict {
  index: number;
  leafHash: string;
  problems: string[];
}

export interface BatchVerdict {
  /** False when the batch as a whole cannot stand: its manifest is unreadable or not what was anchored. */
  valid: boolean;
  /** Why the batch as a whole is invalid; empty when valid. */
  problems: string[];
  /** Leaves that break a rule, ascending by leaf hash (the order the registry takes); none when invalid. */
  invalidLeaves: LeafVerdict[];
}

/** The batch cannot be judged now (the RPC failed, content is not reachable yet): retried, never attested. */
export class CannotCheckNow extends Error {}

interface PublishedAnnouncement {
  period: bigint;
  root: string;
  manifestCid: string;
  firstTriedAt?: number;
  nextTryAt: number;
  attempts: number;
}

interface AnchoredBatch {
  root: string;
  gateway: string;
  leavesRoot: string;
  salt: string;
  leafCount: number;
  manifestCid: string;
  at: ChainPosition;
  /** Undefined until read; null when the batch is invalid as a whole. */
  manifest?: BatchManifest | null;
  problems: string[];
  leafHashes: string[];
  anchoredAt: bigint;
  firstTriedAt?: number;
  nextTryAt: number;
  attempts: number;
}

/**
 * One consortium member's validator. It follows the chain (batch anchors and claim events, in
 * bounded block ranges), fetches every batch's manifest and items by CID, re-derives the root and
 * applies the same per-item rules as the gateway (api/src/evidence/itemRules.ts) as of the anchor:
 * the claimant and state of the claim, the signature, the deadline against the anchor block's time,
 * the nonce against every earlier batch, the content's hash and size, and for private items the
 * envelope's recipients and this member's own ability to open it. It then attests the batch with
 * the leaves that broke a rule, so one bad item costs only itself. It trusts neither the gateway nor
 * the store: content is verified against its CID, claims against the chain.
 *
 * "Cannot check now" (an RPC error, content not reachable yet) is never a verdict: that batch is
 * retried with backoff while later ones proceed. Content still unreachable after `contentGiveUpMs`
 * is judged missing. Manifests are read in anchor order, since an item's nonce is checked against
 * all earlier batches: a batch whose manifest is not reachable yet holds back the judging of later
 * batches, at most until it is judged missing.
 */
export class ValidatorNode {
  private readonly _provider: JsonRpcProvider;
  private readonly _signer: NonceManager;
  private readonly _evidence: EvidenceRegistry;
  private readonly _claims: ClaimRegistry;
  private readonly _signatures: EvidenceSignatureVerifier;
  private readonly _options: Required<Omit<ValidatorOptions, "encryptionKey">> & { encryptionKey?: string };
  private _poll: PollLoop | undefined;
  private _cursor: number;
  /** The hash of the cursor's block: a different one means the chain was rolled back or reorganized. */
  private _cursorHash: string | undefined;
  /** Batches anchored and not yet attested by this member, in anchor order. */
  private _queue: AnchoredBatch[] = [];
  /** Announcements published and not yet judged by this member. */
  private _announcements: PublishedAnnouncement[] = [];
  private readonly _announcementRegistry: AnnouncementRegistry;
  private readonly _announcementJudge: AnnouncementJudge;
  private readonly _jury: JuryJudge;
  private readonly _charges: ChargeJudge;
  /** `claimant:nonce` of every item of every readable batch, mapped to where it was first anchored. */
  private readonly _nonces = new Map<string, { root: string; leaf: number }>();
  private readonly _timeline = new ClaimTimeline();
  /** This member's transactions, one at a time: nonces never race or gap. */
  private readonly _sender: SerialSender;

  constructor(
    rpcUrl: string,
    privateKey: string,
    private readonly _addresses: ContractAddresses,
    private readonly _chainId: bigint,
    private readonly _fetch: ContentFetcher,
    private readonly _fromBlock: number,
    private readonly _log: Logger,
    options: ValidatorOptions = {},
  ) {
    this._options = { ...DEFAULTS, ...options };
    this._provider = new JsonRpcProvider(rpcUrl, Number(_chainId), {
      staticNetwork: true,
      batchMaxCount: 1,
      pollingInterval: 100,
    });
    this._signer = new NonceManager(new Wallet(privateKey, this._provider));
    this._sender = new SerialSender(this._signer, this._provider);
    this._evidence = EvidenceRegistry__factory.connect(_addresses.evidenceRegistry, this._signer);
    this._claims = ClaimRegistry__factory.connect(_addresses.claimRegistry, this._provider);
    this._signatures = new EvidenceSignatureVerifier(_chainId, _addresses.evidenceRegistry);
    this._announcementRegistry = AnnouncementRegistry__factory.connect(_addresses.announcementRegistry, this._signer);
    this._announcementJudge = new AnnouncementJudge(this._provider, _addresses, _chainId, _fromBlock, (cid, max) =>
      this._bytes(cid, max),
    );
    this._jury = new JuryJudge(
      this._provider,
      JuryCourt__factory.connect(_addresses.juryCourt, this._signer),
      Consortium__factory.connect(_addresses.consortium, this._provider),
      privateKey,
      _chainId,
      _fromBlock,
      (cid, max) => this._bytes(cid, max),
      (send) => this._transact(send),
      _log.child({ component: "jury" }),
      this._options.contentGiveUpMs,
      this._options.maxManifestBytes,
    );
    this._charges = new ChargeJudge(
      {
        provider: this._provider,
        contracts: _addresses,
        deploymentBlock: _fromBlock,
        fetch: (cid) => this._bytes(cid, MAX_MEMBERSHIP_BATCH_BYTES),
      },
      ChargeRegistry__factory.connect(_addresses.chargeRegistry, this._signer),
      (cid, max) => this._bytes(cid, max),
      (send) => this._transact(send),
      _log.child({ component: "charges" }),
      this._options.contentGiveUpMs,
      this._options.maxManifestBytes,
    );
    this._cursor = _fromBlock - 1;
  }

  get address(): Promise<string> {
    return this._signer.getAddress();
  }

  start(): void {
    this._poll = new PollLoop(
      () => this.processNewBatches(),
      this._options.pollMs,
      (error) =>
        this._log.warn({ err: error instanceof Error ? error.message : error }, "validator round failed; retrying"),
    );
    this._poll.start();
  }

  async stop(): Promise<void> {
    await this._poll?.stop();
    this._provider.destroy();
  }

  /** One transaction at a time, each awaited to its receipt: a validator sends few. */
  private _transact(send: () => Promise<{ hash: string }>): Promise<void> {
    return onChain(() =>
      this._sender.send(async () => {
        const tx = await send();
        const receipt = await this._provider.waitForTransaction(tx.hash, 1, RECEIPT_WAIT_MS);
        if (receipt?.status !== 1)
          throw new DomainError("CONTRACT_REJECTED", `transaction ${tx.hash} reverted (settled meanwhile?)`);
      }),
    );
  }

  /** Follows the chain to its head, then judges and attests every batch it can. */
  async processNewBatches(): Promise<void> {
    const head = await this._provider.getBlockNumber();
    const cursorHash =
      this._cursor >= this._fromBlock ? (await this._provider.getBlock(this._cursor))?.hash : undefined;
    if (head < this._cursor || cursorHash !== this._cursorHash) this._restartFromScratch(head);
    for (let from = this._cursor + 1; from <= head; from += this._options.logRangeBlocks) {
      await this._follow(from, Math.min(head, from + this._options.logRangeBlocks - 1));
    }
    await this._judgeQueue();
    await this._judgeAnnouncements();
    await this._jury.tick((await this.address).toLowerCase());
    await this._charges.tick((await this.address).toLowerCase());
  }

  /** The chain is behind what this node saw (a reset or a rollback): forget it all and re-read. */
  private _restartFromScratch(head: number): void {
    this._log.warn(
      { head, cursor: this._cursor },
      "the chain no longer has this validator's cursor block; re-reading it",
    );
    this._cursor = this._fromBlock - 1;
    this._cursorHash = undefined;
    this._signer.reset(); // its nonce may be ahead of the chain's now
    this._queue = [];
    this._announcements = [];
    this._nonces.clear();
    this._timeline.clear();
    this._jury.clear();
  }

  private async _follow(from: number, to: number): Promise<void> {
    const [anchored, filed, changed, announced] = await Promise.all([
      this._evidence.queryFilter(this._evidence.filters.BatchAnchored(), from, to),
      this._claims.queryFilter(this._claims.filters.ClaimFiled(), from, to),
      this._claims.queryFilter(this._claims.filters.ClaimStateChanged(), from, to),
      this._announcementRegistry.queryFilter(this._announcementRegistry.filters.AnnouncementPublished(), from, to),
    ]);
    await this._jury.follow(from, to);
    for (const log of announced) {
      const { period, root, manifestCid } = log.args;
      this._announcements.push({ period, root, manifestCid, nextTryAt: 0, attempts: 0 });
    }
    const at = (log: { blockNumber: number; index: number }) => ({ blockNumber: log.blockNumber, logIndex: log.index });
    for (const log of filed) this._timeline.filed(log.args.claimId.toString(), log.args.claimant, at(log));
    for (const log of changed) this._timeline.stateChanged(log.args.claimId.toString(), Number(log.args.to), at(log));
    for (const log of anchored) {
      const { root, gateway, leavesRoot, salt, leafCount, manifestCid } = log.args;
      this._queue.push({
        root,
        gateway,
        leavesRoot,
        salt,
        leafCount: Number(leafCount),
        manifestCid,
        at: at(log),
        problems: [],
        leafHashes: [],
        anchoredAt: 0n,
        nextTryAt: 0,
        attempts: 0,
      });
    }
    this._cursor = to;
    this._cursorHash = (await this._provider.getBlock(to))?.hash ?? undefined;
  }

  private async _judgeQueue(): Promise<void> {
    const me = (await this.address).toLowerCase();
    for (const batch of this._queue) {
      const manifestRead = batch.manifest !== undefined;
      if (Date.now() < batch.nextTryAt) {
        if (!manifestRead) break; // later batches' nonces depend on this manifest
        continue;
      }
      try {
        batch.firstTriedAt ??= Date.now();
        if (!manifestRead) await this._readManifest(batch);
        if (await this._attested(batch.root, me)) {
          batch.attempts = -1;
          continue;
        }
        const verdict = await this._judge(batch);
        await this._attest(batch.root, verdict);
        batch.attempts = -1;
      } catch (error) {
        batch.attempts += 1;
        batch.nextTryAt = Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** batch.attempts);
        this._log.warn(
          { root: batch.root, attempt: batch.attempts, err: error instanceof Error ? error.message : error },
          "cannot check this batch now; retrying",
        );
        if (batch.manifest === undefined) break;
      }
    }
    this._queue = this._queue.filter((b) => b.attempts >= 0);
  }

  /** Judges and attests every published announcement this member has not judged yet. */
  private async _judgeAnnouncements(): Promise<void> {
    const me = (await this.address).toLowerCase();
    for (const a of this._announcements) {
      if (Date.now() < a.nextTryAt) continue;
      try {
        a.firstTriedAt ??= Date.now();
        const current = await this._announcementRegistry.announcement(a.period);
        const [valid, invalid] = await this._announcementRegistry.attestations(a.period);
        const judged = [...valid, ...invalid].some((v) => v.toLowerCase() === me);
        const replaced = current.root !== a.root || current.manifestCidHash !== keccak256(toUtf8Bytes(a.manifestCid));
        if (Number(current.status) !== 1 || replaced || judged) {
          a.attempts = -1; // settled, replaced (its successor has its own event), or judged already
          continue;
        }
        const verdict = await this._announcementJudge.judge(a.period, a.root, a.manifestCid).catch((error: unknown) => {
          if (error instanceof ManifestUnreachable && Date.now() - a.firstTriedAt! >= this._options.contentGiveUpMs)
            return { valid: false, problems: [`manifest unavailable for ${this._options.contentGiveUpMs} ms`] };
          throw error;
        });
        if (!verdict.valid)
          this._log.warn(
            { period: a.period.toString(), problems: verdict.problems.slice(0, 10) },
            "announcement is invalid",
          );
        await this._transact(() => this._announcementRegistry.attest(a.period, a.root, verdict.valid));
        this._log.info({ period: a.period.toString(), valid: verdict.valid }, "announcement attested");
        a.attempts = -1;
      } catch (error) {
        a.attempts += 1;
        a.nextTryAt = Date.now() + Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** a.attempts);
        this._log.warn(
          { period: a.period.toString(), attempt: a.attempts, err: error instanceof Error ? error.message : error },
          "cannot check this announcement now; retrying",
        );
      }
    }
    this._announcements = this._announcements.filter((a) => a.attempts >= 0);
  }

  /** Content by CID as bytes, verified by the fetcher; throws while unreachable. */
  private async _bytes(cid: string, maxBytes: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of this._fetch(cid)) {
      size += chunk.length;
      if (size > maxBytes) throw new ContentTooLargeError(maxBytes);
      parts.push(chunk);
    }
    return Buffer.concat(parts);
  }

  /**
   * Reads and checks the manifest against the anchor, and records its items' nonces. Sets the
   * manifest, or null with the reasons when the batch is invalid as a whole.
   */
  private async _readManifest(batch: AnchoredBatch): Promise<void> {
    const onChainBatch = await this._evidence.batch(batch.root);
    batch.anchoredAt = onChainBatch.anchoredAt;
    const invalid = (problem: string) => {
      batch.manifest = null;
      batch.problems = [problem];
    };
    if (onChainBatch.manifestCidHash !== keccak256(toUtf8Bytes(batch.manifestCid)))
      return invalid("manifest CID differs from the anchored one");
    const bytes = await this._content(batch, batch.manifestCid, this._options.maxManifestBytes);
    if (typeof bytes === "string") return invalid(`manifest: ${bytes}`);

    let parsed: ReturnType<typeof manifestSchema.safeParse>;
    try {
      parsed = manifestSchema.safeParse(JSON.parse(bytes.toString("utf8")));
    } catch {
      return invalid("manifest is not JSON");
    }
    if (!parsed.success) return invalid(`malformed manifest: ${parsed.error.message}`);
    const manifest = parsed.data as BatchManifest;
    if (manifest.chainId !== this._chainId.toString()) return invalid("manifest names another chain");
    if (manifest.evidenceRegistry.toLowerCase() !== this._addresses.evidenceRegistry.toLowerCase())
      return invalid("manifest names another registry");
    if (manifest.leaves.length !== batch.leafCount)
      return invalid(`leaf count ${manifest.leaves.length} != anchored ${batch.leafCount}`);
    let leafHashes: string[];
    try {
      leafHashes = manifest.leaves.map((item) => evidenceLeafHash(manifestLeaf(item)));
    } catch (error) {
      return invalid(`a leaf cannot be encoded: ${error instanceof Error ? error.message : error}`);
    }
    const leavesRoot = EvidenceTree.of(leafHashes).root;
    if (
      leavesRoot !== batch.leavesRoot.toLowerCase() ||
      batchRoot(batch.gateway, leavesRoot, batch.salt) !== batch.root
    )
      return invalid("Merkle root does not match");

    batch.manifest = manifest;
    batch.leafHashes = leafHashes;
    manifest.leaves.forEach((item, leaf) => {
      const key = `${item.claimant.toLowerCase()}:${item.nonce}`;
      if (!this._nonces.has(key)) this._nonces.set(key, { root: batch.root, leaf });
    });
  }

  private async _judge(batch: AnchoredBatch): Promise<BatchVerdict> {
    if (!batch.manifest) return { valid: false, problems: batch.problems, invalidLeaves: [] };
    const memberKeys = (await readConsortium(this._provider, this._addresses.consortium)).members.map(
      (m) => m.encryptionKey,
    );
    const invalidLeaves: LeafVerdict[] = [];
    for (const [index, item] of batch.manifest.leaves.entries()) {
      const problems: string[] = [];
      const rule = (check: () => void) => {
        try {
          check();
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      };
      const claim = this._timeline.at(item.claimId, batch.at);
      if (!claim) problems.push(`claim ${item.claimId} was not filed when the batch was anchored`);
      else {
        if (claim.claimant !== item.claimant.toLowerCase()) problems.push("not the claim's claimant");
        rule(() => checkClaimTakesEvidence(item.claimId, claim.state));
      }
      const message = {
        claimId: BigInt(item.claimId),
        contentHash: item.contentHash,
        kind: item.kind,
        nonce: BigInt(item.nonce),
        deadline: BigInt(item.deadline),
      };
      rule(() => checkSignerIsClaimant(itemSigner(this._signatures, message, item.signature), item.claimant));
      rule(() => checkItemDeadline(message.deadline, batch.anchoredAt));
      const first = this._nonces.get(`${item.claimant.toLowerCase()}:${item.nonce}`);
      if (first && (first.root !== batch.root || first.leaf !== index))
        problems.push("nonce used by an earlier item (replayed)");
      problems.push(...(await this._checkContent(batch, item, memberKeys)));
      if (problems.length > 0) invalidLeaves.push({ index, leafHash: batch.leafHashes[index], problems });
    }
    invalidLeaves.sort((a, b) => (a.leafHash < b.leafHash ? -1 : a.leafHash > b.leafHash ? 1 : 0));
    return { valid: true, problems: [], invalidLeaves };
  }

  private async _checkContent(
    batch: AnchoredBatch,
    item: BatchManifest["leaves"][number],
    memberKeys: string[],
  ): Promise<string[]> {
    if (item.size > this._options.maxItemBytes) return [`larger than ${this._options.maxItemBytes} bytes`];
    const bytes = await this._content(batch, item.cid, item.size);
    if (typeof bytes === "string") return [bytes];
    const problems: string[] = [];
    if (`0x${createHash("sha256").update(bytes).digest("hex")}` !== item.contentHash.toLowerCase())
      problems.push("SHA-256 mismatch");
    if (bytes.length !== item.size) problems.push("size mismatch");
    if (item.kind !== 1) return problems;
    try {
      checkEnvelopeRecipients(bytes, bytes.length, memberKeys);
    } catch (error) {
      return [...problems, error instanceof Error ? error.message : String(error)];
    }
    if (this._options.encryptionKey) {
      try {
        decryptEnvelope(bytes, this._options.encryptionKey).fill(0);
      } catch (error) {
        problems.push(`this member cannot decrypt it: ${error instanceof Error ? error.message : error}`);
      }
    }
    return problems;
  }

  /**
   * Content by CID, at most `maxBytes`: the bytes, or why they are judged unusable (too large, a
   * malformed CID, or unreachable for longer than the give-up time). Throws {@link CannotCheckNow}
   * while content is unreachable within that time.
   */
  private async _content(batch: AnchoredBatch, cid: string, maxBytes: number): Promise<Buffer | string> {
    const parts: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of this._fetch(cid)) {
        size += chunk.length;
        if (size > maxBytes) return `larger than ${maxBytes} bytes`;
        parts.push(chunk);
      }
      return Buffer.concat(parts);
    } catch (error) {
      if (error instanceof InvalidCidError || error instanceof ContentTooLargeError) return error.message;
      const reason = error instanceof Error ? error.message : String(error);
      if (Date.now() - (batch.firstTriedAt ?? Date.now()) >= this._options.contentGiveUpMs)
        return `content unavailable for ${this._options.contentGiveUpMs} ms (${reason})`;
      throw new CannotCheckNow(`${cid} not reachable now: ${reason}`);
    }
  }

  private async _attested(root: string, me: string): Promise<boolean> {
    const [valid, invalid] = await this._evidence.attestations(root);
    return [...valid, ...invalid].some((a) => a.toLowerCase() === me);
  }

  private async _attest(root: string, verdict: BatchVerdict): Promise<void> {
    if (!verdict.valid) this._log.warn({ root, problems: verdict.problems }, "batch is invalid");
    for (const leaf of verdict.invalidLeaves.slice(0, 10))
      this._log.warn({ root, leaf: leaf.index, problems: leaf.problems }, "evidence item is invalid");
    await this._transact(() =>
      this._evidence.attestBatch(
        root,
        verdict.valid,
        verdict.invalidLeaves.map((l) => l.leafHash),
      ),
    );
    this._log.info({ root, valid: verdict.valid, invalidLeaves: verdict.invalidLeaves.length }, "batch attested");
  }
}

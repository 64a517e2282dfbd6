import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Config, ContractAddresses } from "./config";
import { AidProofDb } from "./db/database";
import { ChainAdapter } from "./chain/chainAdapter";
import { openEvidenceStore } from "./store/openStore";
import type { EvidenceStore } from "./store/evidenceStore";
import { Batcher } from "./batcher/batcher";
import { Indexer } from "./indexer/indexer";
import { FinalityTracker } from "./batcher/finality";
import { ClaimReader } from "./services/claimReader";
import { ClaimService } from "./services/claimService";
import { EvidenceService } from "./services/evidenceService";
import { ReceiptService } from "./services/receiptService";
import { BatchService } from "./services/batchService";
import { Metrics } from "./metrics";
import { createApp } from "./http/app";
import { serve } from "./http/server";
import { describeDeployment, type ConsortiumDescriptor } from "./verify/descriptor";
import type { Logger } from "./logger";
import { settledWithin } from "./node/bounded";
import { cachedFetch, evidenceItemCounter, type EvidenceSetSource } from "./evidence/evidenceSet";
import { ReasonService } from "./services/reasonService";
import { AnnouncementService } from "./announcements/announcementService";
import { Announcer } from "./announcements/announcer";
import { JuryDb } from "./db/juryDb";
import { JuryService } from "./jury/juryService";
import { JuryCoordinator } from "./jury/juryCoordinator";
import { MembershipDb } from "./db/membershipDb";
import { BulkKeccak } from "./charges/hasher";
import { MembershipLedger, type ChargeChain } from "./charges/periodDerivation";
import { ChargeService } from "./charges/chargeService";
import { ChargeCoordinator } from "./charges/chargeCoordinator";
import { MAX_MEMBERSHIP_BATCH_BYTES } from "./charges/membership";
import { ContentTooLargeError } from "./store/errors";

export interface GatewayChain {
  rpcUrl: string;
  gatewayKey: string;
  addresses: ContractAddresses;
  deploymentBlock: number;
}

export interface Gateway {
  url: string;
  /** The deployment this gateway anchors to, as a consortium descriptor (GET /consortium/descriptor). */
  descriptor: ConsortiumDescriptor;
  store: EvidenceStore;
  chain: ChainAdapter;
  db: AidProofDb;
  jury: JuryService;
  juryDb: JuryDb;
  charges: ChargeService;
  membershipDb: MembershipDb;
  stop(): Promise<void>;
}

const VERSION = "0.1.0";
/**
 * How long stop() waits for the batcher's in-flight anchors and the indexer's current pass. With the
 * chain down they wait on it (retries, an RPC call that never answers); what they leave is in the
 * outbox, and the next start reconciles it.
 */
const CHAIN_WORK_STOP_MS = 3_000;

/**
 * Wires the gateway: database, store, chain adapter, services, batcher, indexer and the HTTP server.
 * The outbox is reconciled with the chain before the batcher closes new batches.
 */
export async function startGateway(config: Config, chainConfig: GatewayChain, log: Logger): Promise<Gateway> {
  const db = new AidProofDb(join(config.dataDir, "gateway.sqlite"));
  const store = await openEvidenceStore(
    config.ipfs.backend === "kubo"
      ? { backend: "kubo", kuboUrl: config.ipfs.url, dataDir: config.dataDir, maxBytes: config.maxUploadBytes }
      : { backend: "embedded", dataDir: config.dataDir, maxBytes: config.maxUploadBytes },
  );
  const chain = await ChainAdapter.connect(chainConfig.rpcUrl, chainConfig.gatewayKey, chainConfig.addresses);
  const descriptor = await describeDeployment(
    chain.provider,
    { chainId: chain.chainId, deploymentBlock: chainConfig.deploymentBlock, contracts: chainConfig.addresses },
    // The gateway's own RPC URL goes into the public descriptor only for the embedded dev chain: an
    // external chain's may carry credentials; a consortium names its public one.
    { name: config.consortiumName, rpcUrl: config.publicRpcUrl ?? (config.rpcUrl ? undefined : chainConfig.rpcUrl) },
  );
  const metrics = new Metrics();
  const batcher = new Batcher(db, store, chain, config.batch, log.child({ component: "batcher" }), metrics);
  const indexer = new Indexer(db, chain, chainConfig.deploymentBlock, 500, log.child({ component: "indexer" }));
  const reader = new ClaimReader(db, chain);
  const evidence = new EvidenceService(
    db,
    store,
    chain,
    reader,
    config.maxUploadBytes,
    () => batcher.itemAccepted(),
    config.deadlineMarginSeconds,
  );
  const finality = new FinalityTracker(
    db,
    chain,
    config.finalityDepth,
    log.child({ component: "finality" }),
    (claimId) => evidence.forgetClaim(claimId),
  );
  const receipts = new ReceiptService(db, chain, finality);
  const evidenceSets: EvidenceSetSource = {
    provider: chain.provider,
    contracts: chainConfig.addresses,
    deploymentBlock: chainConfig.deploymentBlock,
    fetch: cachedFetch((cid) => readAll(store, cid)),
  };
  const announcer = new Announcer(
    chain,
    store,
    {
      provider: chain.provider,
      chainId: chain.chainId,
      contracts: chainConfig.addresses,
      deploymentBlock: chainConfig.deploymentBlock,
      evidenceItemCount: evidenceItemCounter(evidenceSets),
    },
    log.child({ component: "announcer" }),
    config.finalityDepth,
  );
  const juryDb = new JuryDb(join(config.dataDir, "jury.sqlite"));
  const jury = new JuryService(juryDb, chain, store, chainConfig.gatewayKey, chainConfig.deploymentBlock);
  const juryCoordinator = new JuryCoordinator(
    chain,
    db,
    juryDb,
    store,
    jury,
    log.child({ component: "jury" }),
    config.juryPoolIntervalMs,
  );
  const membershipDb = new MembershipDb(join(config.dataDir, "membership.sqlite"));
  const chargeChain: ChargeChain = {
    provider: chain.provider,
    contracts: chainConfig.addresses,
    deploymentBlock: chainConfig.deploymentBlock,
    fetch: (cid) => readAll(store, cid, MAX_MEMBERSHIP_BATCH_BYTES),
  };
  const ledger = new MembershipLedger(chargeChain);
  const keccak = await BulkKeccak.create();
  const chargesDir = join(config.dataDir, "charges");
  const charges = new ChargeService(chain, membershipDb, chargeChain, ledger, keccak, chargesDir);
  const chargeCoordinator = new ChargeCoordinator(
    chain,
    membershipDb,
    store,
    chargeChain,
    ledger,
    keccak,
    chargesDir,
    log.child({ component: "charges" }),
  );
  const app = createApp({
    jury,
    charges,
    claims: new ClaimService(db, chain, reader, receipts, evidenceSets),
    reasons: new ReasonService(store),
    announcements: new AnnouncementService(chain, store, chainConfig.deploymentBlock),
    evidence,
    receipts,
    batches: new BatchService(db),
    store,
    chain,
    descriptor,
    metrics,
    log: log.child({ component: "http" }),
    rateLimitPerMinute: config.rateLimitPerMinute,
    version: VERSION,
    probes: [
      { name: "chain", check: () => chain.blockNumber() },
      { name: "store", check: () => store.has("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku") },
      { name: "database", check: async () => db.ping() },
    ],
  });
  batcher.start();
  indexer.start();
  finality.start();
  if (config.runAnnouncer) announcer.start();
  if (config.runJury) juryCoordinator.start();
  if (config.runCharges) chargeCoordinator.start();
  const server = await serve(app, {
    host: config.host,
    port: config.port,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info({ url }, "gateway API listening");

  return {
    url,
    descriptor,
    store,
    chain,
    db,
    jury,
    juryDb,
    charges,
    membershipDb,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      if (
        !(await settledWithin(
          Promise.all([
            batcher.stop(),
            indexer.stop(),
            finality.stop(),
            announcer.stop(),
            juryCoordinator.stop(),
            chargeCoordinator.stop(),
          ]),
          CHAIN_WORK_STOP_MS,
        ))
      )
        log.warn("chain work still waiting after 3 s (chain unreachable?): left to the next start's reconciliation");
      chain.destroy();
      await store.close();
      await db.close();
      await juryDb.close();
      await membershipDb.close();
    },
  };
}

async function readAll(store: EvidenceStore, cid: string, maxBytes = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of store.get(cid)) {
    if ((size += chunk.length) > maxBytes) throw new ContentTooLargeError(maxBytes);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

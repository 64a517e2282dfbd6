import express, { type Express } from "express";
import helmet from "helmet";
import { rateLimit } from "express-rate-limit";
import { DomainError } from "../errors";
import type { Logger } from "../logger";
import type { Metrics } from "../metrics";
import type { EvidenceStore } from "../store/evidenceStore";
import type { ClaimService } from "../services/claimService";
import type { EvidenceService } from "../services/evidenceService";
import type { ReceiptService } from "../services/receiptService";
import type { BatchService } from "../services/batchService";
import type { ReasonService } from "../services/reasonService";
import type { AnnouncementService } from "../announcements/announcementService";
import { reasonsRouter } from "./routes/reasons";
import { announcementsRouter } from "./routes/announcements";
import { juryRouter } from "./routes/jury";
import { chargesRouter } from "./routes/charges";
import type { ChargeService } from "../charges/chargeService";
import type { JuryService } from "../jury/juryService";
import { createErrorHandler } from "./errorHandler";
import { DOCS_PAGE, openApiDocument } from "./openapi";
import { claimsRouter } from "./routes/claims";
import { batchesRouter, receiptsRouter } from "./routes/receipts";
import { healthRouter, type ReadinessProbe } from "./routes/health";
import { ipfsRouter } from "./routes/ipfs";
import { consortiumRouter } from "./routes/consortium";
import { verifyPageRouter } from "./routes/verifyPage";
import type { ChainAdapter } from "../chain/chainAdapter";
import type { ConsortiumDescriptor } from "../verify/descriptor";

export interface AppDependencies {
  claims: ClaimService;
  evidence: EvidenceService;
  receipts: ReceiptService;
  batches: BatchService;
  reasons: ReasonService;
  announcements: AnnouncementService;
  jury: JuryService;
  charges: ChargeService;
  store: EvidenceStore;
  chain: ChainAdapter;
  descriptor: ConsortiumDescriptor;
  metrics: Metrics;
  log: Logger;
  probes: ReadinessProbe[];
  /** Write requests (claims, evidence) per client IP per minute. */
  rateLimitPerMinute: number;
  version: string;
}

const JSON_BODY_LIMIT = "16kb";

/** The gateway's HTTP surface: routes parse and respond, services do the work. */
export function createApp(deps: AppDependencies): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(
    helmet({ contentSecurityPolicy: { directives: { "default-src": ["'self'"], "style-src": ["'unsafe-inline'"] } } }),
  );
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : "unmatched";
      deps.metrics.httpRequests.inc({ method: req.method, route, status: res.statusCode });
      if (res.statusCode >= 400 || deps.log.isLevelEnabled("debug")) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        deps.log.info(
          { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms) },
          "request",
        );
      }
    });
    next();
  });
  // Membership changes come in lists of up to 10,000: their route alone takes a larger body.
  app.use("/members/changes", express.json({ limit: "1mb" }));
  app.use(express.json({ limit: JSON_BODY_LIMIT }));

  const writeLimit = rateLimit({
    windowMs: 60_000,
    limit: deps.rateLimitPerMinute,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    handler: (_req, _res, next) => next(new DomainError("RATE_LIMITED", "too many write requests; retry later")),
  });

  app.use(claimsRouter(deps.claims, deps.evidence, writeLimit));
  app.use(receiptsRouter(deps.receipts));
  app.use(reasonsRouter(deps.reasons, writeLimit));
  app.use(announcementsRouter(deps.announcements));
  app.use(juryRouter(deps.jury, writeLimit));
  app.use(chargesRouter(deps.charges, writeLimit));
  app.use(batchesRouter(deps.batches));
  app.use(ipfsRouter(deps.store));
  app.use(consortiumRouter(deps.chain, deps.descriptor));
  app.use(verifyPageRouter(deps.descriptor));
  app.use(healthRouter(deps.metrics, deps.probes));
  const document = openApiDocument(deps.version);
  app.get("/openapi.json", (_req, res) => {
    res.json(document);
  });
  app.get("/docs", (_req, res) => {
    res.type("html").send(DOCS_PAGE);
  });
  app.use((req, _res, next) => next(new DomainError("NOT_FOUND", `no route ${req.method} ${req.path}`)));
  app.use(createErrorHandler(deps.log));
  return app;
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The gateway's Prometheus metrics, on one registry per process (served at /metrics). */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "aidproof_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly outboxDepth = new Gauge({
    name: "aidproof_outbox_depth",
    help: "Accepted evidence items not yet in a batch",
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: "aidproof_batch_size",
    help: "Evidence items per anchored batch",
    buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000],
    registers: [this.registry],
  });
  readonly anchorLatency = new Histogram({
    name: "aidproof_anchor_latency_seconds",
    help: "From an item's acceptance to its batch's anchor transaction being mined",
    buckets: [0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly anchorFailures = new Counter({
    name: "aidproof_anchor_failures_total",
    help: "Failed attempts to anchor a batch (retried with backoff)",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "aidproof_" });
  }
}

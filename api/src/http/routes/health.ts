import { Router } from "express";
import type { Metrics } from "../../metrics";

export interface ReadinessProbe {
  name: string;
  check(): Promise<unknown>;
}

export function healthRouter(metrics: Metrics, probes: ReadinessProbe[]): Router {
  const router = Router();
  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/ready", async (_req, res) => {
    const results = await Promise.all(
      probes.map(async (p) => {
        try {
          await p.check();
          return [p.name, "ok"] as const;
        } catch (error) {
          return [p.name, error instanceof Error ? error.message.split("\n")[0] : "failed"] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not ready", checks: Object.fromEntries(results) });
  });
  router.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}

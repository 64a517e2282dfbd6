import { Router, type RequestHandler } from "express";
import type { ReasonService } from "../../services/reasonService";

/** `POST /reasons`: stores a public reason document (schema-checked); answers its CID and hash. */
export function reasonsRouter(reasons: ReasonService, writeLimit: RequestHandler): Router {
  const router = Router();
  router.post("/reasons", writeLimit, async (req, res) => {
    const stored = await reasons.store(req.body);
    res.status(201).location(`/ipfs/${stored.cid}`).json(stored);
  });
  return router;
}

import { Router } from "express";
import type { ReceiptService } from "../../services/receiptService";
import type { BatchService } from "../../services/batchService";
import { validate } from "../validate";
import { batchRootParams, pageQuery, receiptIdParams } from "../schemas";

export function receiptsRouter(receipts: ReceiptService): Router {
  const router = Router();
  router.get("/receipts/:receiptId", (req, res) => {
    const { receiptId } = validate(receiptIdParams, req.params, "path");
    res.json(receipts.receipt(receiptId));
  });
  return router;
}

export function batchesRouter(batches: BatchService): Router {
  const router = Router();
  router.get("/batches", (req, res) => {
    const { limit, offset } = validate(pageQuery, req.query, "query");
    res.json({ batches: batches.list(limit, offset), limit, offset });
  });
  router.get("/batches/:root", (req, res) => {
    const { root } = validate(batchRootParams, req.params, "path");
    res.json(batches.get(root));
  });
  return router;
}

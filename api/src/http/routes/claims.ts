import { Router } from "express";
import type { RequestHandler } from "express";
import type { ClaimService } from "../../services/claimService";
import type { EvidenceService } from "../../services/evidenceService";
import { EvidenceKind } from "../../chain/evidenceLeaf";
import { readUpload } from "../multipart";
import { validate } from "../validate";
import { claimIdParams, disputeBody, evidenceFields, fileClaimBody, listClaimsQuery } from "../schemas";

export function claimsRouter(claims: ClaimService, evidence: EvidenceService, writeLimit: RequestHandler): Router {
  const router = Router();

  router.post("/claims", writeLimit, async (req, res) => {
    const body = validate(fileClaimBody, req.body, "claim");
    const claim = await claims.file({
      claimant: body.claimant,
      planId: BigInt(body.planId),
      amount: BigInt(body.amount),
      metadataCid: body.metadataCid,
      nonce: BigInt(body.nonce),
      deadline: BigInt(body.deadline),
      signature: body.signature,
    });
    res.status(201).location(`/claims/${claim.claimId}`).json(claim);
  });

  router.get("/claims", (req, res) => {
    const query = validate(listClaimsQuery, req.query, "query");
    res.json({ claims: claims.list(query), limit: query.limit, offset: query.offset });
  });

  router.get("/claims/:claimId", async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    res.json(await claims.get(claimId));
  });

  // Recomputed from the chain and the manifests on every call: rate-limited like writes.
  router.get("/claims/:claimId/evidence-set", writeLimit, async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    res.json(await claims.evidenceSet(claimId));
  });

  router.post("/claims/:claimId/dispute", writeLimit, async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    const body = validate(disputeBody, req.body, "dispute");
    res.json(
      await claims.dispute({
        claimId: BigInt(claimId),
        nonce: BigInt(body.nonce),
        deadline: BigInt(body.deadline),
        signature: body.signature,
      }),
    );
  });

  router.post("/claims/:claimId/evidence", writeLimit, async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    const upload = await readUpload(req);
    try {
      const fields = validate(evidenceFields, upload.fields, "evidence fields");
      const accepted = await evidence.submit({
        claimId: BigInt(claimId),
        kind: fields.kind === "private" ? EvidenceKind.Private : EvidenceKind.Public,
        nonce: BigInt(fields.nonce),
        deadline: BigInt(fields.deadline),
        contentHash: fields.contentHash,
        signature: fields.signature,
        content: upload.file,
      });
      await upload.finished;
      res
        .status(202)
        .location(`/receipts/${accepted.receiptId}`)
        .json({ ...accepted, status: "pending" });
    } catch (error) {
      // Stop reading the rest of a rejected upload; the client gets the error and the connection closes.
      upload.file.resume();
      res.set("Connection", "close");
      // A store or service failure caused by a body cut short is the body's fault: a 400, not a 500.
      throw upload.failure() ?? error;
    }
  });

  return router;
}

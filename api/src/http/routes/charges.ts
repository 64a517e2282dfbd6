import { Router, type RequestHandler } from "express";
import type { ChargeService } from "../../charges/chargeService";
import { validate } from "../validate";
import { chargePeriodParams, memberChargeParams, memberChargeQuery, membershipChangesBody } from "../schemas";

/** Cost sharing: the platform's membership changes in; a period's charges and a member's charge out. */
export function chargesRouter(charges: ChargeService, writeLimit: RequestHandler): Router {
  const router = Router();
  router.post("/members/changes", writeLimit, async (req, res) => {
    const body = validate(membershipChangesBody, req.body, "body");
    res.status(202).json(await charges.acceptChanges(BigInt(body.sequence), body.changes, body.signature));
  });
  router.get("/charges/:period", async (req, res) => {
    const { period } = validate(chargePeriodParams, req.params, "path");
    res.json(await charges.period(BigInt(period)));
  });
  router.get("/members/:memberHash/charges", async (req, res) => {
    const { memberHash } = validate(memberChargeParams, req.params, "path");
    const { period } = validate(memberChargeQuery, req.query, "query");
    res.json(await charges.memberCharge(memberHash, BigInt(period)));
  });
  return router;
}

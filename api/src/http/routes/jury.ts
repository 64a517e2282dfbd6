import { Router, type RequestHandler } from "express";
import { rateLimit } from "express-rate-limit";
import type { JuryService } from "../../jury/juryService";
import { DomainError } from "../../errors";
import { validate } from "../validate";
import { ballotBody, claimIdParams, jurorBody, jurorParams } from "../schemas";

/** Ballots per juror per minute: a juror may change its mind, not flood the gateway. */
const BALLOTS_PER_JUROR_PER_MINUTE = 30;

/** The member jury: juror registration, cases as the chain states them, ballots and their proofs. */
export function juryRouter(jury: JuryService, writeLimit: RequestHandler): Router {
  const router = Router();
  const ballotLimit = rateLimit({
    windowMs: 60_000,
    limit: BALLOTS_PER_JUROR_PER_MINUTE,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: (req) => String((req.body as { juror?: unknown } | undefined)?.juror ?? "").toLowerCase(),
    handler: (_req, _res, next) =>
      next(new DomainError("RATE_LIMITED", "too many ballots from this juror; retry later")),
  });
  router.post("/jury/jurors", writeLimit, async (req, res) => {
    const entry = validate(jurorBody, req.body, "body");
    res.status(201).json(await jury.registerJuror(entry));
  });
  router.get("/jury/cases", async (_req, res) => {
    res.json({ cases: await jury.cases() });
  });
  router.get("/jury/cases/:claimId", async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    res.json(await jury.case(BigInt(claimId)));
  });
  router.post("/jury/cases/:claimId/ballots", ballotLimit, async (req, res) => {
    const { claimId } = validate(claimIdParams, req.params, "path");
    const body = validate(ballotBody, req.body, "body");
    const receipt = await jury.submitBallot({
      claimId: BigInt(claimId),
      round: body.round,
      juror: body.juror,
      sequence: body.sequence,
      envelope: Buffer.from(body.envelope.slice(2), "hex"),
      signature: body.signature,
    });
    res.status(201).json(receipt);
  });
  router.get("/jury/cases/:claimId/ballots/:juror/proof", async (req, res) => {
    const { claimId, juror } = validate(jurorParams, req.params, "path");
    res.json(await jury.ballotProof(BigInt(claimId), juror));
  });
  return router;
}

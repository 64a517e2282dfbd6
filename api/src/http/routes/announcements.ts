import { Router } from "express";
import type { AnnouncementService } from "../../announcements/announcementService";
import { validate } from "../validate";
import { periodParams } from "../schemas";

/** Period announcements as anchored, with a proof per entry. */
export function announcementsRouter(announcements: AnnouncementService): Router {
  const router = Router();
  router.get("/announcements", async (_req, res) => {
    res.json({ announcements: await announcements.list() });
  });
  router.get("/announcements/:period", async (req, res) => {
    const { period } = validate(periodParams, req.params, "path");
    res.json(await announcements.get(BigInt(period)));
  });
  return router;
}

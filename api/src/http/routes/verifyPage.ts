import { existsSync } from "node:fs";
import { resolve } from "node:path";
import express, { Router } from "express";
import { DomainError } from "../../errors";
import type { ConsortiumDescriptor } from "../../verify/descriptor";

/** Where `npm run build:web` writes the page. */
export const WEB_DIR = resolve(__dirname, "../../../../dist/web");

/**
 * The public verifier page at /verify: static files that need no AidProof server, configured with
 * this deployment's descriptor (consortium.json beside them). It talks to the chain RPC endpoint the
 * user chooses, so its content security policy lets it connect anywhere and load code only from here.
 */
export function verifyPageRouter(descriptor: ConsortiumDescriptor): Router {
  const router = Router();
  router.use("/verify", (_req, res, next) => {
    res.set(
      "Content-Security-Policy",
      "default-src 'self'; connect-src *; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
    next();
  });
  router.get("/verify/consortium.json", (_req, res) => {
    res.json(descriptor);
  });
  router.get(/^\/verify$/, (_req, res) => res.redirect(301, "/verify/"));
  router.use("/verify", (_req, _res, next) => {
    if (!existsSync(WEB_DIR))
      return next(new DomainError("NOT_FOUND", "the verifier page is not built: run npm run build:web"));
    next();
  });
  router.use("/verify", express.static(WEB_DIR, { index: "index.html", fallthrough: true }));
  return router;
}

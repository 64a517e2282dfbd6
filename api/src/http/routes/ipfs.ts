import { Router, type Request } from "express";
import { DomainError } from "../../errors";
import type { EvidenceStore } from "../../store/evidenceStore";

export const RAW_BLOCK = "application/vnd.ipld.raw";
export const CAR = "application/vnd.ipld.car";
const CAR_DFS_DUPS = `${CAR}; version=1; order=dfs; dups=y`;

type Format = "raw" | "car";

/** `?format=` wins over Accept, as in the IPFS trustless gateway specification. */
function requestedFormat(req: Request): Format {
  const format = typeof req.query.format === "string" ? req.query.format : undefined;
  if (format === "raw" || format === "car") return format;
  const accept = req.get("accept") ?? "";
  if (!format && accept.includes(RAW_BLOCK)) return "raw";
  if (!format && accept.includes(CAR)) return "car";
  throw new DomainError(
    "NOT_ACCEPTABLE",
    `this is a trustless gateway: ask for ?format=raw (${RAW_BLOCK}) or ?format=car (${CAR})`,
  );
}

/**
 * Trustless gateway: `GET /ipfs/{cid}?format=raw` returns one block, `?format=car` the whole DAG as a
 * CARv1 in depth-first order with duplicates. Clients verify every block themselves.
 */
export function ipfsRouter(store: EvidenceStore): Router {
  const router = Router();
  router.get("/ipfs/:cid", async (req, res) => {
    const format = requestedFormat(req);
    const cid = req.params.cid;
    // Headers only once the store has parsed the CID: raw input in a header (a NUL byte) is a 500.
    const immutable = (type: string, extension: string) =>
      res
        .type(type)
        .set("X-Ipfs-Roots", cid)
        .set("Cache-Control", "public, max-age=29030400, immutable")
        .set("Content-Disposition", `attachment; filename="${cid}.${extension}"`);
    if (format === "raw") {
      const block = await store.getBlock(cid);
      immutable(RAW_BLOCK, "bin").send(Buffer.from(block));
      return;
    }
    const car = await store.exportCar(cid);
    immutable(CAR_DFS_DUPS, "car");
    for await (const chunk of car) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    res.end();
  });
  return router;
}

import { expect } from "chai";
import express from "express";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ipfsRouter } from "../../../api/src/http/routes/ipfs";
import { createErrorHandler, type ErrorBody } from "../../../api/src/http/errorHandler";
import { createLogger } from "../../../api/src/logger";
import { openEvidenceStore } from "../../../api/src/store/openStore";
import type { EvidenceStore } from "../../../api/src/store/evidenceStore";
import { fetchVerified } from "../../../api/src/store/gatewayClient";
import { BlockMismatchError, ContentNotFoundError, GatewayResponseError } from "../../../api/src/store/errors";
import { ipfsModules } from "../../../api/src/store/ipfsModules";
import { collect, deterministicBytes } from "../../support/bytes";
import { listen, type RunningServer } from "../../support/httpServer";
import { rejects } from "../../support/assertions";

const MiB = 1024 * 1024;

/** A gateway that serves the honest CAR with `tamper` applied to its block list. */
async function lyingGateway(
  store: EvidenceStore,
  tamper: (blocks: { cid: unknown; bytes: Uint8Array }[]) => void,
): Promise<RunningServer> {
  const m = await ipfsModules();
  const app = express();
  app.get("/ipfs/:cid", async (req, res) => {
    const honest = await m.car.CarReader.fromBytes(await collect(await store.exportCar(req.params.cid)));
    const blocks: { cid: unknown; bytes: Uint8Array }[] = [];
    for await (const block of honest.blocks()) blocks.push({ cid: block.cid, bytes: Buffer.from(block.bytes) });
    tamper(blocks);
    const { writer, out } = m.car.CarWriter.create(await honest.getRoots());
    const writing = (async () => {
      for (const block of blocks) await writer.put(block as never);
      await writer.close();
    })();
    res.type("application/vnd.ipld.car").send(await collect(out));
    await writing;
  });
  return listen(app);
}

describe("ipfsRouter (trustless gateway)", () => {
  let dataDir: string;
  let store: EvidenceStore;
  let gateway: RunningServer;
  let data: Buffer;
  let cid: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "aidproof-gateway-"));
    store = await openEvidenceStore({ backend: "embedded", dataDir, maxBytes: 64 * MiB });
    const app = express();
    app.use(ipfsRouter(store));
    app.use(createErrorHandler(createLogger("silent")));
    gateway = await listen(app);
    data = deterministicBytes(3 * MiB + 100, "gateway");
    ({ cid } = await store.put(data));
  });
  after(async () => {
    await gateway.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  describe("GET /ipfs/{cid}?format=raw", () => {
    it("returns one block that hashes to its CID", async () => {
      const small = deterministicBytes(1000, "raw");
      const put = await store.put(small);
      const res = await fetch(`${gateway.url}/ipfs/${put.cid}?format=raw`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
      expect(Buffer.from(await res.arrayBuffer()).equals(small)).to.equal(true);
    });

    it("honours Accept: application/vnd.ipld.raw", async () => {
      const res = await fetch(`${gateway.url}/ipfs/${cid}`, { headers: { accept: "application/vnd.ipld.raw" } });
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/vnd.ipld.raw");
    });
  });

  describe("GET /ipfs/{cid}?format=car", () => {
    it("streams a CAR that fetchVerified turns back into the file", async () => {
      const res = await fetch(`${gateway.url}/ipfs/${cid}?format=car`);
      expect(res.headers.get("content-type")).to.match(/^application\/vnd\.ipld\.car; version=1; order=dfs; dups=y/);
      await res.arrayBuffer();
      expect((await collect(fetchVerified(gateway.url, cid))).equals(data)).to.equal(true);
    });
  });

  describe("errors", () => {
    it("answers 400 INVALID_CID, 404 CONTENT_NOT_FOUND and 406 NOT_ACCEPTABLE as JSON", async () => {
      const bad = await fetch(`${gateway.url}/ipfs/not-a-cid?format=raw`);
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as ErrorBody).error.code).to.equal("INVALID_CID");
      const unknown = "bafkreiabzi6xz6z7mjo7tdmfqzm3mg6ebdsrblgv6qwhgqbqd2hqmq6jqi";
      const missing = await fetch(`${gateway.url}/ipfs/${unknown}?format=car`);
      expect(missing.status).to.equal(404);
      expect(((await missing.json()) as ErrorBody).error.code).to.equal("CONTENT_NOT_FOUND");
      const plain = await fetch(`${gateway.url}/ipfs/${cid}`);
      expect(plain.status).to.equal(406);
      expect(((await plain.json()) as ErrorBody).error.code).to.equal("NOT_ACCEPTABLE");
      expect(await rejects(collect(fetchVerified(gateway.url, unknown)))).to.be.instanceOf(ContentNotFoundError);
    });
  });

  describe("fetchVerified against a lying gateway", () => {
    it("names the gateway and the block when a block's bytes were changed", async () => {
      const liar = await lyingGateway(store, (blocks) => (blocks[2].bytes[7] ^= 0x01));
      try {
        const error = await rejects(collect(fetchVerified(liar.url, cid)));
        expect(error).to.be.instanceOf(BlockMismatchError);
        const { details } = error as BlockMismatchError;
        expect(details?.source).to.include(liar.url);
        expect(details?.cid).to.be.a("string").and.not.equal(cid); // a leaf, not the root
      } finally {
        await liar.close();
      }
    });

    it("rejects a CAR with a block missing, swapped or extra", async () => {
      for (const tamper of [
        (b: unknown[]) => b.pop(),
        (b: unknown[]) => ([b[1], b[2]] = [b[2], b[1]]),
        (b: unknown[]) => b.push(b[1]),
      ]) {
        const liar = await lyingGateway(store, tamper);
        try {
          expect(await rejects(collect(fetchVerified(liar.url, cid)))).to.be.instanceOf(GatewayResponseError);
        } finally {
          await liar.close();
        }
      }
    });
  });
});

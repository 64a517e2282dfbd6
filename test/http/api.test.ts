import { expect } from "chai";
import { Wallet } from "ethers";
import { AidProofClient } from "../../api/src/sdk/client";
import { verifyEvidenceBundle } from "../../api/src/verify/evidence";
import { encryptEnvelope, parseEnvelopeHeader } from "../../api/src/crypto/envelope";
import { collect, deterministicBytes } from "../support/bytes";
import { fetchVerified } from "../../api/src/store/gatewayClient";
import { ipfsModules } from "../../api/src/store/ipfsModules";
import { startTestStack, type TestStack } from "../support/stack";
import { chainPin, fileClaim, sha256, upload, stackInfo, type StackInfo } from "../support/evidence";
import { startGateway } from "../../api/src/gateway";
import { loadConfig } from "../../api/src/config";
import { createLogger } from "../../api/src/logger";
import { claimRegistryDomain } from "../../api/src/chain/typedData";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decideClaim } from "../support/review";

const MAX_UPLOAD = 256 * 1024;

describe("gateway API (HTTP, real chain, store and SQLite)", function () {
  this.timeout(120_000);
  let stack: TestStack;
  let info: StackInfo;
  let claimant: Wallet;
  let claimId: bigint;

  before(async () => {
    stack = await startTestStack({ AIDPROOF_MAX_UPLOAD_BYTES: String(MAX_UPLOAD) });
    info = stackInfo(stack);
    claimant = Wallet.createRandom() as unknown as Wallet;
    const filed = await fileClaim(info, claimant);
    claimId = BigInt(filed.body.claimId as string);
  });
  after(() => stack?.close());

  /** Outbox items (any claim) with this content hash. */
  const queued = (contentHash: string) =>
    stack.gateway.db.claimEvidence(claimId.toString()).filter((e) => e.contentHash === contentHash.toLowerCase());

  const get = async (path: string) => {
    const res = await fetch(`${info.url}${path}`);
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };

  describe("service endpoints", () => {
    it("GET /health and /ready report ok", async () => {
      expect((await get("/health")).body).to.deep.equal({ status: "ok" });
      const ready = await get("/ready");
      expect(ready.status).to.equal(200);
      expect(ready.body.checks).to.deep.equal({ chain: "ok", store: "ok", database: "ok" });
    });

    it("GET /openapi.json describes every route, with request schemas from zod", async () => {
      const { body } = await get("/openapi.json");
      expect(body.openapi).to.equal("3.1.0");
      expect(Object.keys(body.paths)).to.include.members([
        "/claims",
        "/claims/{claimId}/evidence",
        "/claims/{claimId}/evidence-set",
        "/claims/{claimId}/dispute",
        "/reasons",
        "/announcements/{period}",
        "/receipts/{receiptId}",
        "/batches/{root}",
        "/ipfs/{cid}",
      ]);
      expect(body.paths["/claims"].post.requestBody.content["application/json"].schema.required).to.include(
        "signature",
      );
      const docs = await fetch(`${info.url}/docs`);
      expect(docs.headers.get("content-type")).to.match(/text\/html/);
    });

    it("GET /metrics exposes requests, outbox depth, batch sizes and anchor latency", async () => {
      const text = await (await fetch(`${info.url}/metrics`)).text();
      for (const name of [
        "aidproof_http_requests_total",
        "aidproof_outbox_depth",
        "aidproof_batch_size",
        "aidproof_anchor_latency_seconds",
      ]) {
        expect(text).to.include(name);
      }
    });

    it("sends security headers and answers unknown routes and bad JSON with coded errors", async () => {
      const res = await get("/nope");
      expect(res.status).to.equal(404);
      expect(res.body.error.code).to.equal("NOT_FOUND");
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(res.headers.get("x-powered-by")).to.equal(null);
      const bad = await fetch(`${info.url}/claims`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as any).error.code).to.equal("VALIDATION_FAILED");
      const big = await fetch(`${info.url}/claims`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ x: "a".repeat(20_000) }),
      });
      expect(big.status).to.equal(413);
    });
  });

  describe("POST /claims", () => {
    it("files a claim relayed on chain", async () => {
      const someone = Wallet.createRandom();
      const res = await fileClaim(info, someone);
      expect(res.status).to.equal(201);
      expect(res.body.claimant).to.equal(someone.address);
      expect(res.body.state).to.equal("Filed");
    });

    it("rejects a replayed signature, another chain's, an expired one and a malformed body", async () => {
      const someone = Wallet.createRandom();
      expect((await fileClaim(info, someone, { nonce: 0n })).status).to.equal(201);
      const replay = await fileClaim(info, someone, { nonce: 0n });
      expect([replay.status, replay.body.error?.code], JSON.stringify(replay.body)).to.deep.equal([
        409,
        "NONCE_ALREADY_USED",
      ]);
      const otherChain = await fileClaim(info, someone, { domain: claimRegistryDomain(1n, info.claimRegistry) });
      expect([otherChain.status, otherChain.body.error?.code]).to.deep.equal([401, "INVALID_SIGNATURE"]);
      const expired = await fileClaim(info, someone, { deadline: 1n });
      expect([expired.status, expired.body.error?.code]).to.deep.equal([400, "SIGNATURE_EXPIRED"]);
      const malformed = await fetch(`${info.url}/claims`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ claimant: "0x12" }),
      });
      const body = (await malformed.json()) as any;
      expect(malformed.status).to.equal(400);
      expect(body.error.code).to.equal("VALIDATION_FAILED");
      expect(body.error.details.issues.map((i: any) => i.path)).to.include.members(["claimant", "signature"]);
    });
  });

  describe("GET /claims", () => {
    it("reads a claim and lists claims by state; unknown and malformed ids are 404 and 400", async () => {
      const claim = await get(`/claims/${claimId}`);
      expect(claim.body.claimant).to.equal(claimant.address);
      expect(claim.body.history[0].event).to.equal("ClaimFiled");
      const list = await get("/claims?state=Filed&limit=100");
      expect(list.body.claims.map((c: any) => c.claimId)).to.include(claimId.toString());
      expect((await get("/claims/999999")).body.error.code).to.equal("CLAIM_NOT_FOUND");
      expect((await get("/claims/abc")).status).to.equal(400);
      expect((await get("/claims?state=Nope")).status).to.equal(400);
    });
  });

  describe("POST /claims/{claimId}/evidence", () => {
    it("accepts public and private evidence from the SDK; receipts go pending -> anchored -> confirmed and verify", async () => {
      const client = new AidProofClient(info.url, claimant, chainPin(stack));
      const dir = await mkdtemp(join(tmpdir(), "aidproof-api-"));
      try {
        await writeFile(join(dir, "public.txt"), "announcement");
        await writeFile(join(dir, "private.txt"), deterministicBytes(50_000, "private"));
        const pub = await client.submitEvidence(claimId, join(dir, "public.txt"), { kind: "public" });
        const priv = await client.submitEvidence(claimId, join(dir, "private.txt"), { kind: "private" });
        for (const s of [pub, priv]) {
          const confirmed = await client.waitForReceipt(s.receiptId, "confirmed", 30_000);
          expect(confirmed.attestations!.filter((a) => a.valid).length).to.be.at.least(2);
          const verification = await verifyEvidenceBundle(confirmed.proof, {
            descriptor: stack.descriptor,
            rpcUrl: stack.rpcUrl,
          });
          expect(verification.ok, JSON.stringify(verification.checks)).to.equal(true);
        }
        // What IPFS holds for the private item is ciphertext, never the plaintext.
        const stored = await collect(fetchVerified(info.url, priv.cid));
        expect(stored.includes(deterministicBytes(50_000, "private").subarray(0, 100))).to.equal(false);
        const claim = await get(`/claims/${claimId}`);
        expect(claim.body.evidence.map((e: any) => e.receiptId)).to.include.members([pub.receiptId, priv.receiptId]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it("rejects tampered bytes, storing nothing and queueing nothing", async () => {
      const signed = deterministicBytes(10_000, "signed");
      const tampered = Buffer.from(signed);
      tampered[42] ^= 1;
      const res = await upload(info, { claimId, bytes: tampered, signer: claimant, contentHash: sha256(signed) });
      expect([res.status, res.body.error?.code]).to.deep.equal([400, "CONTENT_HASH_MISMATCH"]);
      const m = await ipfsModules();
      const tamperedCid = m.cid.CID.createV1(m.raw.code, await m.sha2.sha256.digest(tampered));
      expect(await stack.gateway.store.backend.hasBlock(tamperedCid)).to.equal(false);
      expect(queued(sha256(signed)).concat(queued(sha256(tampered)))).to.deep.equal([]);
    });

    it("rejects a replayed, a wrong-chain, a stranger's and an expired signature", async () => {
      const bytes = deterministicBytes(1000, "replay");
      const first = await upload(info, { claimId, bytes, signer: claimant, nonce: 7n });
      expect(first.status).to.equal(202);
      const replay = await upload(info, { claimId, bytes, signer: claimant, nonce: 7n });
      expect([replay.status, replay.body.error?.code], JSON.stringify(replay.body)).to.deep.equal([
        409,
        "NONCE_ALREADY_USED",
      ]);
      const wrongChain = await upload(info, {
        claimId,
        bytes,
        signer: claimant,
        domain: { name: "AidProof Evidence", version: "1", chainId: 1n, verifyingContract: info.evidenceRegistry },
      });
      expect([wrongChain.status, wrongChain.body.error?.code]).to.deep.equal([401, "INVALID_SIGNATURE"]);
      const stranger = await upload(info, { claimId, bytes, signer: Wallet.createRandom() });
      expect([stranger.status, stranger.body.error?.code]).to.deep.equal([401, "INVALID_SIGNATURE"]);
      const expired = await upload(info, { claimId, bytes, signer: claimant, deadline: 1000n });
      expect([expired.status, expired.body.error?.code]).to.deep.equal([400, "SIGNATURE_EXPIRED"]);
    });

    it("rejects an unknown claim, a missing file and an oversized file", async () => {
      const unknown = await upload(info, { claimId: 424242n, bytes: Buffer.from("x"), signer: claimant });
      expect([unknown.status, unknown.body.error?.code]).to.deep.equal([404, "CLAIM_NOT_FOUND"]);
      const missing = await upload(info, { claimId, bytes: Buffer.from("x"), signer: claimant, omitFile: true });
      expect([missing.status, missing.body.error?.code]).to.deep.equal([400, "FILE_MISSING"]);
      const bigBytes = deterministicBytes(MAX_UPLOAD + 1, "big");
      const big = await upload(info, { claimId, bytes: bigBytes, signer: claimant });
      expect([big.status, big.body.error?.code]).to.deep.equal([413, "CONTENT_TOO_LARGE"]);
      expect(queued(sha256(bigBytes))).to.deep.equal([]);
    });

    it("rejects private evidence that is not an envelope, or that some validator cannot open", async () => {
      const plain = await upload(info, {
        claimId,
        bytes: Buffer.from("not encrypted at all, sorry"),
        signer: claimant,
        kind: "private",
      });
      expect([plain.status, plain.body.error?.code]).to.deep.equal([400, "ENVELOPE_MALFORMED"]);
      const oneKey = (await (await fetch(`${info.url}/consortium`)).json()) as any;
      const envelope = await collect(encryptEnvelope(Buffer.from("secret"), [oneKey.members[0].encryptionKey]));
      const partial = await upload(info, { claimId, bytes: envelope, signer: claimant, kind: "private" });
      expect([partial.status, partial.body.error?.code]).to.deep.equal([400, "ENVELOPE_RECIPIENTS_MISMATCH"]);
    });

    it("refuses an envelope wrapped for a key outside the consortium, or for a member twice", async () => {
      const members = (await stack.gateway.chain.consortiumInfo()).members.map((m) => m.encryptionKey);
      const outsider = Wallet.createRandom().signingKey.compressedPublicKey;
      for (const recipients of [
        [...members, outsider],
        [...members, members[0]],
      ]) {
        const envelope = await collect(encryptEnvelope(Buffer.from("secret"), recipients));
        const res = await upload(info, { claimId, bytes: envelope, signer: claimant, kind: "private" });
        expect([res.status, res.body.error?.code]).to.deep.equal([400, "ENVELOPE_RECIPIENTS_MISMATCH"]);
        expect(queued(sha256(envelope))).to.deep.equal([]);
      }
    });

    it("refuses a private upload that is only an envelope header (the validators would find it truncated)", async () => {
      const members = (await stack.gateway.chain.consortiumInfo()).members.map((m) => m.encryptionKey);
      const envelope = await collect(encryptEnvelope(Buffer.from("secret"), members));
      const headerOnly = envelope.subarray(0, parseEnvelopeHeader(envelope).length);
      const res = await upload(info, { claimId, bytes: headerOnly, signer: claimant, kind: "private" });
      expect([res.status, res.body.error?.code]).to.deep.equal([400, "ENVELOPE_MALFORMED"]);
    });

    it("keeps a uint256 deadline exact from signature to manifest, and the item confirms", async () => {
      const deadline = 10n ** 20n + 1n; // a valid uint256 that is not an exact JavaScript number
      const bytes = Buffer.from("far-future deadline");
      const res = await upload(info, { claimId, bytes, signer: claimant, deadline });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      const row = stack.gateway.db.evidence(res.body.receiptId as string)!;
      expect(row.deadline).to.equal(deadline.toString());
      const confirmed = await new AidProofClient(info.url).waitForReceipt(res.body.receiptId as string, "confirmed");
      expect(confirmed.status).to.equal("confirmed");
      const batch = stack.gateway.db.batch(stack.gateway.db.evidence(confirmed.receiptId)!.batchRoot!)!;
      const manifest = JSON.parse((await collect(stack.gateway.store.get(batch.manifestCid))).toString("utf8"));
      expect(manifest.leaves.map((l: { deadline: string }) => l.deadline)).to.include(deadline.toString());
    });

    it("rejects alone, after acknowledging it, a private item no member can open", async () => {
      const members = (await stack.gateway.chain.consortiumInfo()).members.map((m) => m.encryptionKey);
      const unreadable = await collect(encryptEnvelope(Buffer.from("diagnosis"), members));
      unreadable[unreadable.length - 20] ^= 1; // well-formed, but its content fails authentication for everyone
      const bad = await upload(info, { claimId, bytes: unreadable, signer: claimant, kind: "private" });
      const good = await upload(info, { claimId, bytes: Buffer.from("a neighbour's invoice"), signer: claimant });
      expect([bad.status, good.status]).to.deep.equal([202, 202]); // the gateway cannot decrypt: only members can
      const client = new AidProofClient(info.url);
      const [badReceipt, goodReceipt] = await Promise.all(
        [bad, good].map((r) => client.waitForReceipt(r.body.receiptId as string, "confirmed")),
      );
      expect([badReceipt.status, goodReceipt.status]).to.deep.equal(["rejected", "confirmed"]);
      const listed = (await get(`/claims/${claimId}`)).body.evidence as { receiptId: string; status: string }[];
      const statusOf = (id: string) => listed.find((e) => e.receiptId === id)?.status;
      expect([statusOf(badReceipt.receiptId), statusOf(goodReceipt.receiptId)]).to.deep.equal([
        "rejected",
        "confirmed",
      ]);
      expect(
        (await verifyEvidenceBundle(goodReceipt.proof, { descriptor: stack.descriptor, rpcUrl: stack.rpcUrl })).ok,
      ).to.equal(true);
      expect(
        (await verifyEvidenceBundle(badReceipt.proof, { descriptor: stack.descriptor, rpcUrl: stack.rpcUrl })).ok,
      ).to.equal(false);
    });

    it("refuses evidence for a claim whose state takes none (approved)", async () => {
      const someone = Wallet.createRandom();
      const id2 = BigInt((await fileClaim(info, someone)).body.claimId as string);
      await decideClaim(stack, id2, "approve", 1000n, 300_000n);
      const res = await upload(info, { claimId: id2, bytes: Buffer.from("late"), signer: someone });
      expect([res.status, res.body.error?.code]).to.deep.equal([409, "CLAIM_CLOSED_FOR_EVIDENCE"]);
    });

    it("rejects a non-multipart body with 415", async () => {
      const res = await fetch(`${info.url}/claims/${claimId}/evidence`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).to.equal(415);
      expect(((await res.json()) as any).error.code).to.equal("UNSUPPORTED_MEDIA_TYPE");
    });
  });

  describe("receipts, batches and content", () => {
    it("serves batches with attestations, content by CID, and coded errors", async () => {
      const res = await upload(info, { claimId, bytes: Buffer.from("for the batch list"), signer: claimant });
      const receiptId = res.body.receiptId as string;
      const client = new AidProofClient(info.url);
      const receipt = await client.waitForReceipt(receiptId, "confirmed", 30_000);
      const batch = await get(`/batches/${receipt.proof!.root}`);
      expect(batch.body.status).to.equal("confirmed");
      expect(batch.body.attestations.length).to.be.at.least(2);
      expect((await get("/batches")).body.batches.map((b: any) => b.root)).to.include(receipt.proof!.root);
      expect((await collect(fetchVerified(info.url, receipt.cid))).toString()).to.equal("for the batch list");
      expect((await get(`/batches/0x${"00".repeat(32)}`)).body.error.code).to.equal("BATCH_NOT_FOUND");
      expect((await get("/batches/0x12")).status).to.equal(400);
      expect((await get("/receipts/00000000-0000-4000-8000-000000000000")).body.error.code).to.equal(
        "RECEIPT_NOT_FOUND",
      );
      expect((await get("/receipts/not-a-uuid")).status).to.equal(400);
    });

    it("rebuilds the read model from the deployment block", async () => {
      const before = await get(`/claims/${claimId}`);
      await stack.gateway.db.resetReadModel();
      expect(stack.gateway.db.claim(claimId.toString())).to.equal(undefined);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the indexer's next rounds
      const after = await get(`/claims/${claimId}`);
      expect(after.body.history).to.deep.equal(before.body.history);
      expect(after.body.state).to.equal(before.body.state);
    });
  });

  describe("rate limits", () => {
    it("answers 429 RATE_LIMITED past the per-client write limit", async () => {
      const dataDir = await mkdtemp(join(tmpdir(), "aidproof-limited-"));
      const config = loadConfig({
        AIDPROOF_DATA_DIR: dataDir,
        AIDPROOF_PORT: "0",
        AIDPROOF_RATE_LIMIT_PER_MINUTE: "2",
        AIDPROOF_LOG_LEVEL: "silent",
      });
      const limited = await startGateway(
        config,
        {
          rpcUrl: stack.rpcUrl,
          gatewayKey: stack.keys!.gateway,
          addresses: stack.deployment.addresses,
          deploymentBlock: stack.deployment.deploymentBlock,
        },
        createLogger("silent"),
      );
      try {
        const statuses = [];
        for (let i = 0; i < 3; ++i) {
          const res = await fetch(`${limited.url}/claims`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          });
          statuses.push(res.status);
          if (i === 2) expect(((await res.json()) as any).error.code).to.equal("RATE_LIMITED");
        }
        expect(statuses).to.deep.equal([400, 400, 429]);
      } finally {
        await limited.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
});

import { expect } from "chai";
import { gzipSync } from "node:zlib";
import Database from "better-sqlite3";
import { join } from "node:path";
import { Wallet } from "ethers";
import { startTestStack, type TestStack } from "../support/stack";
import { fileClaim, sha256, stackInfo } from "../support/evidence";
import { errorCode, rawRequest } from "../support/rawHttp";
import { EVIDENCE_TYPES, evidenceDomain } from "../../api/src/chain/typedData";

const TIMEOUT_MS = 1_500;

describe("gateway robustness (bad input is a 4xx in the JSON shape, never a crash or a hang)", function () {
  this.timeout(120_000);
  let stack: TestStack;
  let url: string;
  let claimId: bigint;
  let claimant: Wallet;

  before(async () => {
    stack = await startTestStack({
      AIDPROOF_VALIDATORS: "false",
      AIDPROOF_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
      AIDPROOF_REQUEST_TIMEOUT_MS: String(2 * TIMEOUT_MS),
    });
    url = stack.gateway.url;
    claimant = Wallet.createRandom() as unknown as Wallet;
    claimId = BigInt((await fileClaim(stackInfo(stack), claimant)).body.claimId as string);
  });
  after(() => stack?.close());

  const outboxSize = () => stack.gateway.db.pendingCount();
  const alive = async () => (await fetch(`${url}/health`)).status === 200;
  const post = (path: string, headers: Record<string, string>, body: string | Buffer) =>
    rawRequest(
      url,
      Buffer.concat([
        Buffer.from(
          `POST ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join("")}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
        ),
        Buffer.from(body),
      ]),
    );

  /** Multipart fields a valid upload signs, for a body that is then cut short. */
  async function signedFields(bytes: Buffer): Promise<string> {
    const deadline = BigInt(Math.floor(Date.now() / 1000) + 600);
    const message = { claimId, contentHash: sha256(bytes), kind: 0, nonce: 7n, deadline };
    const signature = await claimant.signTypedData(
      evidenceDomain(BigInt(stack.deployment.chainId), stack.deployment.addresses.evidenceRegistry),
      EVIDENCE_TYPES,
      message,
    );
    const fields = { kind: "public", contentHash: message.contentHash, nonce: "7", deadline: `${deadline}`, signature };
    return Object.entries(fields)
      .map(([k, v]) => `--b\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join("");
  }

  describe("POST /claims/{id}/evidence (multipart)", () => {
    it("answers a body without its closing boundary with 400 and keeps serving (it used to end the process)", async () => {
      const before = outboxSize();
      const truncated = `--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nxyz`;
      const bare = await post(
        `/claims/${claimId}/evidence`,
        { "Content-Type": "multipart/form-data; boundary=b" },
        truncated,
      );
      expect(bare.status).to.be.within(400, 499);
      const bytes = Buffer.from("evidence cut short");
      const signed = `${await signedFields(bytes)}--b\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n${bytes}`;
      const withFields = await post(
        `/claims/${claimId}/evidence`,
        { "Content-Type": "multipart/form-data; boundary=b" },
        signed,
      );
      expect([withFields.status, errorCode(withFields)]).to.deep.equal([400, "MALFORMED_MULTIPART"]);
      expect(await alive()).to.equal(true);
      expect(outboxSize()).to.equal(before);
    });

    it("answers multipart without a boundary, or with an empty one, with 400", async () => {
      for (const contentType of ["multipart/form-data", "multipart/form-data; boundary="]) {
        const res = await post(`/claims/${claimId}/evidence`, { "Content-Type": contentType }, "--\r\n");
        expect([res.status, errorCode(res)], contentType).to.deep.equal([400, "MALFORMED_MULTIPART"]);
      }
    });
  });

  describe("JSON bodies", () => {
    it("answers an unknown charset and an unknown Content-Encoding with 415, a false gzip with 400", async () => {
      const json = JSON.stringify({ any: 1 });
      const charset = await post("/claims", { "Content-Type": "application/json; charset=bogus" }, json);
      expect([charset.status, errorCode(charset)]).to.deep.equal([415, "UNSUPPORTED_MEDIA_TYPE"]);
      const encoding = await post("/claims", { "Content-Type": "application/json", "Content-Encoding": "bogus" }, json);
      expect([encoding.status, errorCode(encoding)]).to.deep.equal([415, "UNSUPPORTED_MEDIA_TYPE"]);
      const falseGzip = await post("/claims", { "Content-Type": "application/json", "Content-Encoding": "gzip" }, json);
      expect([falseGzip.status, errorCode(falseGzip)]).to.deep.equal([400, "MALFORMED_BODY"]);
      const realGzip = await post(
        "/claims",
        { "Content-Type": "application/json", "Content-Encoding": "gzip" },
        gzipSync(Buffer.from(json)),
      );
      expect([realGzip.status, errorCode(realGzip)]).to.deep.equal([400, "VALIDATION_FAILED"]); // read, then refused
    });

    it("answers out-of-range integers and a bad address checksum with 400, not 503 from the chain", async () => {
      const valid = {
        claimant: claimant.address,
        planId: "1",
        amount: "1",
        metadataCid: "bafkreix",
        nonce: "0",
        deadline: "9999999999",
        signature: `0x${"11".repeat(65)}`,
      };
      // One letter's case flipped: an EIP-55 checksum fixes the case of every letter.
      const badChecksum = claimant.address.replace(/[a-fA-F]/, (c) =>
        c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase(),
      );
      for (const change of [
        { planId: (2n ** 64n).toString() },
        { amount: (2n ** 128n).toString() },
        { nonce: (2n ** 256n).toString() },
        { deadline: (2n ** 256n).toString() },
        {
          claimant: badChecksum === claimant.address ? claimant.address.toLowerCase().replace("0x", "0X") : badChecksum,
        },
      ]) {
        const res = await post(
          "/claims",
          { "Content-Type": "application/json" },
          JSON.stringify({ ...valid, ...change }),
        );
        expect([res.status, errorCode(res)], JSON.stringify(change)).to.deep.equal([400, "VALIDATION_FAILED"]);
      }
      const hugeId = await fetch(`${url}/claims/${2n ** 256n}`);
      expect(hugeId.status).to.equal(400);
      const bad = await fetch(`${url}/claimants/${badChecksum}`);
      expect(bad.status).to.equal(400);
    });
  });

  describe("paths", () => {
    it("answers a NUL byte in a CID and broken percent-encoding with 400, not 500", async () => {
      const nul = await rawRequest(url, "GET /ipfs/%00?format=raw HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect([nul.status, errorCode(nul)]).to.deep.equal([400, "INVALID_CID"]);
      const percent = await rawRequest(url, "GET /claims/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      expect([percent.status, errorCode(percent)]).to.deep.equal([400, "MALFORMED_REQUEST"]);
    });
  });

  describe("what Node's HTTP parser refuses", () => {
    const cases: [string, string, number, string][] = [
      ["an oversized URL", `GET /claims/${"1".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, "HEADERS_TOO_LARGE"],
      [
        "an oversized header",
        `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        431,
        "HEADERS_TOO_LARGE",
      ],
      ["a garbage request line", "HELLO THERE\r\n\r\n", 400, "MALFORMED_REQUEST"],
      [
        "bad chunked encoding",
        "POST /claims HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n",
        400,
        "MALFORMED_REQUEST",
      ],
      [
        "both Content-Length and Transfer-Encoding",
        "POST /claims HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        400,
        "MALFORMED_REQUEST",
      ],
    ];
    for (const [name, request, status, code] of cases) {
      it(`answers ${name} with ${status} in the JSON shape`, async () => {
        const res = await rawRequest(url, request);
        expect([res.status, errorCode(res)]).to.deep.equal([status, code]);
      });
    }
  });

  describe("timeouts", () => {
    it("answers stalled headers with 408 and closes, within the configured time", async () => {
      const res = await rawRequest(url, "GET /health HTTP/1.1\r\nHost: x\r\n", 30_000);
      expect([res.status, errorCode(res)]).to.deep.equal([408, "REQUEST_TIMEOUT"]);
      expect(res.elapsedMs).to.be.below(29_000); // the socket was closed by the server, not by this test
    });

    it("answers a stalled body with 408 and closes, and nothing is stored", async () => {
      const before = outboxSize();
      const res = await rawRequest(
        url,
        `POST /claims/${claimId}/evidence HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n--b\r\n`,
        30_000,
      );
      expect(res.status).to.be.oneOf([0, 408]);
      expect(res.elapsedMs).to.be.below(29_000);
      expect(outboxSize()).to.equal(before);
      expect(await alive()).to.equal(true);
    });
  });

  describe("error messages", () => {
    it("never name a server path (a corrupted block's 502 names the store, not its directory)", async () => {
      const { cid } = await stack.gateway.store.put(Buffer.from("to be corrupted on disk"));
      const db = new Database(join(stack.dataDir, "ipfs", "store.sqlite"));
      try {
        db.prepare("UPDATE small_blocks SET bytes = ? WHERE bytes = ?").run(
          Buffer.from("to be corrupted on disK"),
          Buffer.from("to be corrupted on disk"),
        );
      } finally {
        db.close();
      }
      const res = await fetch(`${url}/ipfs/${cid}?format=raw`);
      const text = await res.text();
      expect(res.status).to.equal(502);
      expect(text).to.include("BLOCK_MISMATCH");
      expect(text).to.not.include(stack.dataDir);
    });
  });
});

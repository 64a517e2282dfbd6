import { expect } from "chai";
import fc from "fast-check";
import Database from "better-sqlite3";
import { join } from "node:path";
import { startTestStack, type TestStack } from "../support/stack";

const SEED = 20261204;
const RUNS = 400;

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: "path" | "query" }[];
  hasBody: boolean;
}

/** Every operation the OpenAPI document lists, with its parameters. */
function operations(document: { paths: Record<string, Record<string, Record<string, unknown>>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: ((op.parameters as Operation["parameters"]) ?? []).filter((p) => p.in === "path" || p.in === "query"),
      hasBody: "requestBody" in op,
    })),
  );
}

/** Values a careless or hostile client puts where an id, an address, a root or a CID goes. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.bigInt({ min: 0n, max: 2n ** 300n }).map(String),
  fc.bigInt({ min: -(2n ** 70n), max: -1n }).map(String),
  fc.constantFrom(
    "",
    "0",
    "0x",
    `0x${"f".repeat(40)}`,
    `0x${"F".repeat(39)}f`,
    `0x${"0".repeat(64)}`,
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "%",
    "😀",
    "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
    "00000000-0000-4000-8000-000000000000",
    "1e3",
    " 1",
    "NaN",
  ),
  fc.string({ unit: "binary", maxLength: 20 }),
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "multipart/form-data",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
);

const bodies = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record({ claimant: nasty, planId: nasty, amount: nasty, nonce: nasty, deadline: nasty, signature: nasty })
    .map((v) => JSON.stringify(v)),
  fc.record({ kind: nasty, contentHash: nasty, nonce: nasty }).map(
    (fields) =>
      `${Object.entries(fields)
        .map(([k, v]) => `--x\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
        .join("")}--x\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\nbytes`,
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
);

/**
 * Random requests to every operation of the gateway's own OpenAPI document: malformed path and query
 * parameters, wrong content types, random JSON and multipart bodies. Every answer must be below 500
 * and, for a 4xx, in the JSON error shape; afterwards the process still serves and nothing was stored.
 */
describe("gateway API fuzzing (every OpenAPI operation)", function () {
  this.timeout(300_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ AIDPROOF_VALIDATORS: "false", AIDPROOF_RATE_LIMIT_PER_MINUTE: "1000000" });
  });
  after(() => stack?.close());

  /** Pinned content, outbox rows and claims on chain: what a request that got through would add. */
  const stored = async () => {
    const count = (file: string, table: string) => {
      const db = new Database(join(stack.dataDir, file), { readonly: true });
      try {
        return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    return {
      pins: count("ipfs/store.sqlite", "pins"),
      outbox: count("gateway.sqlite", "evidence"),
      claims: await stack.gateway.chain.claimRegistry.claimCount(),
    };
  };

  it(`answers ${RUNS} random requests with status < 500 and the JSON error shape, storing nothing`, async () => {
    const url = stack.gateway.url;
    const document = (await (await fetch(`${url}/openapi.json`)).json()) as Parameters<typeof operations>[0];
    const ops = operations(document);
    expect(ops.length).to.be.at.least(12);
    const before = await stored();
    const statuses = new Map<number, number>();
    const failures: string[] = [];

    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ops),
        fc.array(nasty, { minLength: 4, maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 3 }),
        contentTypes,
        bodies,
        fc.boolean(),
        async (op, values, extraQuery, contentType, body, encodePath) => {
          let path = op.path;
          const query = new URLSearchParams();
          // Raw path values keep what a careless client sends: a lone "%", "%00" and the like.
          const inPath = (v: string) =>
            encodePath ? encodeURIComponent(v) : v.replace(/[^\x21-\x7e]|[/?#]/gu, encodeURIComponent);
          op.parameters.forEach((p, i) => {
            if (p.in === "path") path = path.replace(`{${p.name}}`, inPath(values[i]));
            else query.set(p.name, values[i]);
          });
          for (const [k, v] of Object.entries(extraQuery)) query.set(k, v);
          const target = `${url}${path}${query.size ? `?${query}` : ""}`;
          const res = await fetch(target, {
            method: op.method,
            headers: op.hasBody ? { "content-type": contentType } : {},
            body: op.hasBody ? body : undefined,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const text = await res.text();
          if (res.status >= 500) failures.push(`${op.method} ${target} -> ${res.status} ${text.slice(0, 200)}`);
          if (res.status >= 400) {
            const parsed = (() => {
              try {
                return JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
              } catch {
                return undefined;
              }
            })();
            if (typeof parsed?.error?.code !== "string" || typeof parsed.error.message !== "string")
              failures.push(`${op.method} ${target} -> ${res.status} not in the error shape: ${text.slice(0, 200)}`);
          }
        },
      ),
      { seed: SEED, numRuns: RUNS },
    );

    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
    console.log(`      fuzz: ${RUNS} requests over ${ops.length} operations; statuses ${summary.join(", ")}`);
    expect(failures).to.deep.equal([]);
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    expect(await stored()).to.deep.equal(before);
  });
});

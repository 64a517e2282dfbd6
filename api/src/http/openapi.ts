import { z } from "zod";
import {
  batchRootParams,
  claimIdParams,
  claimantParams,
  disputeBody,
  errorBody,
  evidenceFields,
  fileClaimBody,
  jurorBody,
  ballotBody,
  jurorParams,
  listClaimsQuery,
  chargePeriodParams,
  memberChargeParams,
  memberChargeQuery,
  membershipChangesBody,
  pageQuery,
  periodParams,
  receiptIdParams,
} from "./schemas";
import { reasonDocumentSchema } from "../verify/reason";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };

const jsonSchema = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: "input" }) as JsonSchema;

/** Path or query parameters from the same zod object schema that validates them. */
function parameters(schema: z.ZodType, location: "path" | "query") {
  const { properties = {}, required = [] } = jsonSchema(schema);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: location,
    required: location === "path" || required.includes(name),
    schema: s,
  }));
}

const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((s) => [
      String(s),
      { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } },
    ]),
  );

const json = (description: string) => ({
  description,
  content: { "application/json": { schema: { type: "object" } } },
});

/** OpenAPI 3.1 document of the gateway API, generated from the request schemas. */
export function openApiDocument(version: string) {
  return {
    openapi: "3.1.0",
    info: {
      title: "AidProof gateway API",
      version,
      description:
        "Claimants file claims and submit signed evidence; everyone reads claims, receipts with proof bundles, batches, and content by CID. Errors are `{ error: { code, message, details? } }`.",
    },
    components: { schemas: { Error: jsonSchema(errorBody) } },
    paths: {
      "/claims": {
        post: {
          summary: "File a claim on the claimant's EIP-712 FileClaim signature (relayed on chain)",
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(fileClaimBody) } } },
          responses: { "201": json("the filed claim"), ...errors(400, 409, 422, 429, 503) },
        },
        get: {
          summary: "List claims, optionally by state",
          parameters: parameters(listClaimsQuery, "query"),
          responses: { "200": json("claims"), ...errors(400) },
        },
      },
      "/claims/{claimId}": {
        get: {
          summary: "A claim with its state, history and evidence",
          parameters: parameters(claimIdParams, "path"),
          responses: { "200": json("the claim"), ...errors(400, 404) },
        },
      },
      "/claims/{claimId}/evidence": {
        post: {
          summary: "Upload one evidence file (multipart: the signed fields, then the file), streamed to IPFS",
          parameters: parameters(claimIdParams, "path"),
          requestBody: {
            required: true,
            content: {
              "multipart/form-data": {
                schema: {
                  ...jsonSchema(evidenceFields),
                  properties: {
                    ...jsonSchema(evidenceFields).properties,
                    file: { type: "string", contentMediaType: "application/octet-stream" },
                  },
                },
              },
            },
          },
          responses: {
            "202": json("accepted: durable in the outbox, with a receipt id"),
            ...errors(400, 401, 404, 409, 413, 415, 429, 503),
          },
        },
      },
      "/claims/{claimId}/evidence-set": {
        get: {
          summary:
            "The claim's evidence set (confirmed items anchored before its review started) with its root, proof bundles and set proofs. A convenience: members recompute it",
          parameters: parameters(claimIdParams, "path"),
          responses: { "200": json("the evidence set"), ...errors(400, 404, 409, 502) },
        },
      },
      "/claims/{claimId}/dispute": {
        post: {
          summary:
            "Dispute a rejection or a partial approval on the claimant's EIP-712 DisputeClaim signature (relayed on chain)",
          parameters: parameters(claimIdParams, "path"),
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(disputeBody) } } },
          responses: { "200": json("the disputed claim"), ...errors(400, 401, 403, 404, 409, 422, 429, 503) },
        },
      },
      "/reasons": {
        post: {
          summary:
            "Store a PUBLIC reason document of a review decision (fields outside the schema refused); answers its CID and SHA-256, which members endorse",
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(reasonDocumentSchema) } },
          },
          responses: { "201": json("{ cid, reasonHash }"), ...errors(400, 413, 429, 503) },
        },
      },
      "/announcements": {
        get: {
          summary: "Every published period announcement with its status on chain, newest first",
          responses: { "200": json("announcements"), ...errors(503) },
        },
      },
      "/jury/jurors": {
        post: {
          summary:
            "Register a juror's voting key with the platform's EIP-712 JurorCredential (signed by a GATEWAY holder); it joins the next juror pool",
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(jurorBody) } } },
          responses: { "201": json("the registered entry"), ...errors(400, 409, 429, 503) },
        },
      },
      "/jury/cases": {
        get: {
          summary: "Jury cases as the chain states them (no interim counts: none exist before the tally)",
          responses: { "200": json("cases"), ...errors(503) },
        },
      },
      "/jury/cases/{claimId}": {
        get: {
          summary: "A jury case: status, round, rules, ballot keys, deadline, pool and (once sealed) ballot-set CIDs",
          parameters: parameters(claimIdParams, "path"),
          responses: { "200": json("the case"), ...errors(400, 404, 503) },
        },
      },
      "/jury/cases/{claimId}/ballots": {
        post: {
          summary:
            "Submit a sealed, EIP-712-signed ballot; answers the gateway's signed receipt once the ballot is on disk. A higher sequence replaces the juror's earlier ballot",
          parameters: parameters(claimIdParams, "path"),
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(ballotBody) } } },
          responses: { "201": json("the signed receipt"), ...errors(400, 401, 403, 404, 409, 429, 503) },
        },
      },
      "/jury/cases/{claimId}/ballots/{juror}/proof": {
        get: {
          summary: "The juror's ballot in the sealed set with its Merkle proof (check it against the root on chain)",
          parameters: parameters(jurorParams, "path"),
          responses: { "200": json("leaf, proof, root, ballots CID"), ...errors(400, 404, 409, 503) },
        },
      },
      "/members/changes": {
        post: {
          summary:
            "Queue the platform's signed membership changes (joins and leaves of member hashes) for the next membership batch on chain",
          requestBody: {
            required: true,
            content: { "application/json": { schema: jsonSchema(membershipChangesBody) } },
          },
          responses: { "202": json("accepted: durably queued"), ...errors(400, 401, 409, 413, 429, 503) },
        },
      },
      "/charges/{period}": {
        get: {
          summary:
            "A period's cost-sharing bill and charges as the chain has them (status, root, count, total, fee, carry)",
          parameters: parameters(chargePeriodParams, "path"),
          responses: { "200": json("the period's charges"), ...errors(400, 503) },
        },
      },
      "/members/{memberHash}/charges": {
        get: {
          summary: "A member's charge in a period with its Merkle proof (check it against the root on chain)",
          parameters: [...parameters(memberChargeParams, "path"), ...parameters(memberChargeQuery, "query")],
          responses: { "200": json("amount, proof and the period's charges"), ...errors(400, 404, 502, 503) },
        },
      },
      "/announcements/{period}": {
        get: {
          summary: "A period's announcement: the anchored root and status, and every entry with its proof",
          parameters: parameters(periodParams, "path"),
          responses: { "200": json("the announcement"), ...errors(400, 404, 502, 503) },
        },
      },
      "/receipts/{receiptId}": {
        get: {
          summary: "A receipt: pending, anchored (with its proof bundle) or confirmed (with the attesting validators)",
          parameters: parameters(receiptIdParams, "path"),
          responses: { "200": json("the receipt"), ...errors(400, 404) },
        },
      },
      "/batches": {
        get: {
          summary: "Anchored batches, newest first",
          parameters: parameters(pageQuery, "query"),
          responses: { "200": json("batches") },
        },
      },
      "/batches/{root}": {
        get: {
          summary: "A batch with its attestations",
          parameters: parameters(batchRootParams, "path"),
          responses: { "200": json("the batch"), ...errors(400, 404) },
        },
      },
      "/ipfs/{cid}": {
        get: {
          summary: "Trustless gateway: ?format=raw (one block) or ?format=car (the DAG, order=dfs, dups=y)",
          parameters: [
            { name: "cid", in: "path", required: true, schema: { type: "string" } },
            { name: "format", in: "query", required: false, schema: { enum: ["raw", "car"] } },
          ],
          responses: {
            "200": { description: "application/vnd.ipld.raw or application/vnd.ipld.car" },
            ...errors(400, 404, 406),
          },
        },
      },
      "/consortium": {
        get: {
          summary: "Chain id, contract addresses, threshold, members and their encryption keys",
          responses: { "200": json("consortium") },
        },
      },
      "/claimants/{address}": {
        get: {
          summary: "A claimant's next FileClaim/DisputeClaim nonce",
          parameters: parameters(claimantParams, "path"),
          responses: { "200": json("the nonce"), ...errors(400) },
        },
      },
      "/health": { get: { summary: "Liveness", responses: { "200": json("alive") } } },
      "/ready": {
        get: {
          summary: "Chain, store and database reachable",
          responses: { "200": json("ready"), "503": json("not ready") },
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain" } } } },
    },
  };
}

export const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AidProof gateway API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style>
</head><body>
<h1>AidProof gateway API</h1>
<p>The machine-readable description is <a href="/openapi.json"><code>/openapi.json</code></a> (OpenAPI 3.1).</p>
<h2>Claimants</h2>
<ul>
<li><code>POST /claims</code>: file a claim on your EIP-712 <code>FileClaim</code> signature.</li>
<li><code>POST /claims/{claimId}/evidence</code>: multipart fields <code>kind</code>, <code>contentHash</code>, <code>nonce</code>, <code>deadline</code>, <code>signature</code> (EIP-712 <code>Evidence</code>), then the file. Private files must be envelopes (encrypted for every validator). Answers 202 with a receipt id.</li>
<li><code>GET /receipts/{receiptId}</code>: pending, anchored with a proof bundle, or confirmed.</li>
</ul>
<h2>Everyone</h2>
<ul>
<li><code>GET /claims</code>, <code>GET /claims/{claimId}</code>, <code>GET /batches</code>, <code>GET /batches/{root}</code></li>
<li><code>GET /ipfs/{cid}?format=car</code>: content by CID, to verify yourself.</li>
<li>Check a proof bundle against the chain alone: <code>npx aidproof verify bundle.json --rpc URL</code>.</li>
</ul>
</body></html>`;

import type { ErrorRequestHandler } from "express";
import { DomainError } from "../errors";
import type { Logger } from "../logger";

/** The one place where domain error codes become HTTP statuses. */
const STATUS_BY_CODE: Record<string, number> = {
  VALIDATION_FAILED: 400,
  INVALID_CID: 400,
  FILE_MISSING: 400,
  MALFORMED_BODY: 400,
  MALFORMED_REQUEST: 400,
  MALFORMED_MULTIPART: 400,
  CONTENT_HASH_MISMATCH: 400,
  SIGNATURE_EXPIRED: 400,
  ENVELOPE_MALFORMED: 400,
  ENVELOPE_RECIPIENTS_MISMATCH: 400,
  INVALID_CLAIM: 400,
  INVALID_REASON: 400,
  INVALID_DECISION: 400,
  INVALID_REFERENCE: 400,
  INVALID_CREDENTIAL: 400,
  INVALID_SIGNATURE: 401,
  CLAIM_NOT_FOUND: 404,
  RECEIPT_NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  CONTENT_NOT_FOUND: 404,
  NOT_FOUND: 404,
  ANNOUNCEMENT_NOT_FOUND: 404,
  JURY_CASE_NOT_FOUND: 404,
  BALLOT_NOT_FOUND: 404,
  CHARGES_NOT_FOUND: 404,
  MEMBER_NOT_CHARGED: 404,
  NOT_A_JUROR: 403,
  NOT_CLAIMANT: 403,
  NOT_ACCEPTABLE: 406,
  REQUEST_TIMEOUT: 408,
  NONCE_ALREADY_USED: 409,
  CLAIM_CLOSED_FOR_EVIDENCE: 409,
  INVALID_CLAIM_STATE: 409,
  DISPUTE_WINDOW_CLOSED: 409,
  DISPUTE_WINDOW_OPEN: 409,
  CLAIM_NOT_DISPUTABLE: 409,
  CLAIM_NOT_REVIEWED: 409,
  EVIDENCE_SET_UNSETTLED: 409,
  ALREADY_ENDORSED: 409,
  PERIOD_OPEN: 409,
  ANNOUNCEMENT_EXISTS: 409,
  ANNOUNCEMENT_NOT_PENDING: 409,
  VOTER_KEY_TAKEN: 409,
  VOTING_NOT_OPEN: 409,
  VOTING_CLOSED: 409,
  WRONG_ROUND: 409,
  STALE_SEQUENCE: 409,
  BALLOTS_NOT_SEALED: 409,
  CONTENT_TOO_LARGE: 413,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  CONTRACT_REJECTED: 422,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL_ERROR: 500,
  BLOCK_MISMATCH: 502,
  GATEWAY_BAD_RESPONSE: 502,
  EVIDENCE_SET_INCONSISTENT: 502,
  MALFORMED_ANNOUNCEMENT: 502,
  CHARGES_INCONSISTENT: 502,
  CHAIN_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  GATEWAY_NOT_AUTHORIZED: 503,
  CONSORTIUM_PAUSED: 503,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function statusFor(error: DomainError): number {
  return STATUS_BY_CODE[error.code] ?? 400;
}

/** Errors of Express's own body parser (http-errors) carry a 4xx status and, mostly, a type. */
function fromBodyParser(error: unknown): DomainError | undefined {
  const e = error as { type?: unknown; status?: unknown };
  if (typeof e?.status !== "number" || e.status < 400 || e.status >= 500) return undefined;
  switch (e.type) {
    case "entity.too.large":
      return new DomainError("BODY_TOO_LARGE", "the request body is too large");
    case "charset.unsupported":
      return new DomainError("UNSUPPORTED_MEDIA_TYPE", "unsupported charset: send application/json in UTF-8");
    case "encoding.unsupported":
      return new DomainError("UNSUPPORTED_MEDIA_TYPE", "unsupported Content-Encoding: send identity, gzip or deflate");
    case "entity.parse.failed":
      return new DomainError("VALIDATION_FAILED", "the request body is not valid JSON");
    default:
      // An aborted or mis-sized body, a body that is not what its Content-Encoding says.
      return new DomainError("MALFORMED_BODY", "the request body could not be read as sent");
  }
}

/** Renders every error as `{ error: { code, message, details? } }`; never a stack trace. */
export function createErrorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (res.headersSent) {
      // A stream failed midway (a corrupted block in a CAR): cut the connection so the client sees
      // a truncated body rather than one that looks complete.
      log.warn({ err: error instanceof Error ? error.message : error, url: req.originalUrl }, "response failed midway");
      res.destroy();
      return;
    }
    let domain =
      error instanceof DomainError
        ? error
        : error instanceof URIError // a path with broken percent-encoding
          ? new DomainError("MALFORMED_REQUEST", "the request path is not valid percent-encoding")
          : fromBodyParser(error);
    if (!domain) {
      log.error({ err: error, url: req.originalUrl }, "unexpected error");
      domain = new DomainError("INTERNAL_ERROR", "internal error");
    }
    const body: ErrorBody = { error: { code: domain.code, message: domain.message, details: domain.details } };
    res.status(statusFor(domain)).json(body);
  };
}

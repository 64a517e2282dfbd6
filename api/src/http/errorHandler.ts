import type { ErrorRequestHandler } from "express";
import { DomainError } from "../errors";

/** The one place where domain error codes become HTTP statuses. Unknown codes are 400. */
const STATUS_BY_CODE: Record<string, number> = {
  INVALID_CID: 400,
  NOT_ACCEPTABLE: 406,
  CONTENT_NOT_FOUND: 404,
  CONTENT_TOO_LARGE: 413,
  BLOCK_MISMATCH: 502,
  STORE_UNAVAILABLE: 503,
  GATEWAY_BAD_RESPONSE: 502,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function statusFor(error: DomainError): number {
  return STATUS_BY_CODE[error.code] ?? 400;
}

/** Renders every error as `{ error: { code, message, details? } }`; never a stack trace. */
export const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) {
    // A stream failed midway (e.g. a corrupted block in a CAR): cut the connection so the
    // client sees a truncated body rather than a response that looks complete.
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  if (error instanceof DomainError) {
    const body: ErrorBody = { error: { code: error.code, message: error.message, details: error.details } };
    res.status(statusFor(error)).json(body);
    return;
  }
  next(error);
};

import busboy from "busboy";
import type { Request } from "express";
import type { Readable } from "node:stream";
import { DomainError } from "../errors";

export interface Upload {
  fields: Record<string, string>;
  file: Readable;
  /** Resolves when the request body has been read to its end; rejects if it is malformed. */
  finished: Promise<void>;
  /** Set when the body turned out malformed or cut short after the file part began. */
  failure(): DomainError | undefined;
}

const MAX_FIELD_BYTES = 1024;
const MAX_FIELDS = 16;

function malformed(error: Error): DomainError {
  return new DomainError("MALFORMED_MULTIPART", `malformed multipart body: ${error.message}`);
}

/**
 * Streams a multipart upload: the form fields, which must come before the one file part, then the
 * file as a stream that nobody buffers. Resolves as soon as the file part starts.
 *
 * No body can throw outside a handler: busboy fails the file stream itself when the body ends
 * without its closing boundary, which, with no listener, was an uncaught exception that ended the
 * process. Every such failure is recorded as MALFORMED_MULTIPART for the route to answer.
 */
export function readUpload(req: Request): Promise<Upload> {
  if (!req.is("multipart/form-data")) {
    return Promise.reject(
      new DomainError("UNSUPPORTED_MEDIA_TYPE", "send multipart/form-data: the fields, then one file"),
    );
  }
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES } });
    } catch (error) {
      // No boundary, an empty one, or an unparsable content type.
      req.resume();
      reject(malformed(error as Error));
      return;
    }
    const fields: Record<string, string> = {};
    let settled = false;
    let failure: DomainError | undefined;
    const finished = new Promise<void>((done, failed) => {
      parser.once("close", done);
      parser.once("error", (error: Error) => failed(malformed(error)));
    });
    finished.catch(() => undefined); // awaited by the route on success; a failure is reported there
    const fail = (error: DomainError) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    parser.on("field", (name, value, info) => {
      if (info.valueTruncated) fail(new DomainError("VALIDATION_FAILED", `field ${name} is too long`));
      fields[name] = value;
    });
    parser.on("file", (_name, file) => {
      if (settled) {
        file.resume();
        return;
      }
      settled = true;
      // Its reader sees the error through iteration; without a reader yet it must not go uncaught.
      file.on("error", (error: Error) => (failure ??= malformed(error)));
      resolve({ fields, file, finished, failure: () => failure });
    });
    parser.on("filesLimit", () => fail(new DomainError("VALIDATION_FAILED", "send exactly one file")));
    parser.on("fieldsLimit", () => fail(new DomainError("VALIDATION_FAILED", "too many fields")));
    parser.on("error", (error: Error) => fail(malformed(error)));
    parser.on("close", () => {
      // Checked first: building an error (its stack) on every successful upload's close costs.
      if (!settled) fail(new DomainError("FILE_MISSING", "the upload has no file part"));
    });
    // A client that drops the connection mid-body fails the parser, not the process.
    req.once("error", (error: Error) => parser.destroy(error));
    req.pipe(parser);
  });
}

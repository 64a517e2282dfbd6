import busboy from "busboy";
import type { Request } from "express";
import type { Readable } from "node:stream";
import { DomainError } from "../errors";

export interface Upload {
  fields: Record<string, string>;
  file: Readable;
  /** Resolves when the request body has been read to its end. */
  finished: Promise<void>;
}

const MAX_FIELD_BYTES = 1024;
const MAX_FIELDS = 16;

/**
 * Streams a multipart upload: the form fields, which must come before the one file part, then the
 * file as a stream that nobody buffers. Resolves as soon as the file part starts.
 */
export function readUpload(req: Request): Promise<Upload> {
  if (!req.is("multipart/form-data")) {
    return Promise.reject(
      new DomainError("UNSUPPORTED_MEDIA_TYPE", "send multipart/form-data: the fields, then one file"),
    );
  }
  return new Promise((resolve, reject) => {
    const parser = busboy({
      headers: req.headers,
      limits: { files: 1, fields: MAX_FIELDS, fieldSize: MAX_FIELD_BYTES },
    });
    const fields: Record<string, string> = {};
    let settled = false;
    const finished = new Promise<void>((done) => parser.once("close", done));
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
      resolve({ fields, file, finished });
    });
    parser.on("filesLimit", () => fail(new DomainError("VALIDATION_FAILED", "send exactly one file")));
    parser.on("fieldsLimit", () => fail(new DomainError("VALIDATION_FAILED", "too many fields")));
    parser.on("error", (error: Error) =>
      fail(new DomainError("VALIDATION_FAILED", `malformed multipart body: ${error.message}`)),
    );
    parser.on("close", () => {
      // Checked first: building an error (its stack) on every successful upload's close costs.
      if (!settled) fail(new DomainError("FILE_MISSING", "the upload has no file part"));
    });
    req.pipe(parser);
  });
}

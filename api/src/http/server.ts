import { STATUS_CODES, createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Express } from "express";
import { DomainError } from "../errors";
import { statusFor, type ErrorBody } from "./errorHandler";

export interface ServerOptions {
  host: string;
  port: number;
  /** The whole header block must arrive within this. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. */
  requestTimeoutMs: number;
}

/** What Node's HTTP parser refused, as a domain error: the same JSON shape as every other answer. */
function clientErrorOf(error: NodeJS.ErrnoException): DomainError {
  switch (error.code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return new DomainError("REQUEST_TIMEOUT", "the request did not arrive in time");
    case "HPE_HEADER_OVERFLOW":
      return new DomainError("HEADERS_TOO_LARGE", "the request line or headers are too large");
    default:
      return new DomainError("MALFORMED_REQUEST", "not a valid HTTP/1.1 request");
  }
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const domain = clientErrorOf(error);
  const status = statusFor(domain);
  const body = JSON.stringify({ error: { code: domain.code, message: domain.message } } satisfies ErrorBody);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Serves `app`: requests that Node's parser refuses (garbage, oversized headers, bad chunking,
 * conflicting lengths, a stall past the timeouts) get the JSON error shape too, and a stalled
 * client is answered and cut off within the configured times.
 */
export async function serve(app: Express, options: ServerOptions): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      // How often Node looks for requests past those times (its default, 30 s, let a stall last 90 s).
      connectionsCheckingInterval: Math.min(1_000, options.headersTimeoutMs),
      // Idle keep-alive sockets outlive the clients' own idle timeouts, so a client never sends on a
      // socket the server is closing (Node's 5 s default loses that race under steady load).
      keepAliveTimeout: 65_000,
    },
    app,
  );
  server.on("clientError", answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return server;
}

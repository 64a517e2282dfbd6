import { connect } from "node:net";

export interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  headers: string;
  body: string;
  /** Milliseconds until the server answered or closed. */
  elapsedMs: number;
}

/**
 * Sends `request` byte for byte on a fresh TCP connection (no client library to tidy it up) and
 * reads until the server closes the connection or `waitMs` passes. The client never sends more
 * than `request`, so an incomplete one stalls as a slow or malicious client's would.
 */
export function rawRequest(url: string, request: string | Buffer, waitMs = 10_000): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = received.toString("utf8");
      const [head, ...rest] = text.split("\r\n\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, headers: head, body: rest.join("\r\n\r\n"), elapsedMs: Date.now() - started });
    };
    const timer = setTimeout(finish, waitMs);
    socket.on("data", (chunk) => (received = Buffer.concat([received, chunk])));
    socket.on("close", finish);
    socket.on("error", finish);
    socket.write(request);
  });
}

/** The JSON error body of a raw response, or undefined when it is not one. */
export function errorCode(response: RawResponse): string | undefined {
  try {
    const parsed = JSON.parse(response.body.replace(/^[0-9a-f]+\r\n/, "").replace(/\r\n0\r\n\r\n$/, "")) as {
      error?: { code?: unknown; message?: unknown };
    };
    return typeof parsed.error?.code === "string" && typeof parsed.error.message === "string"
      ? parsed.error.code
      : undefined;
  } catch {
    return undefined;
  }
}

import { createHash, randomBytes } from "node:crypto";

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Deterministic pseudo-random bytes (SHA-256 in counter mode): equal inputs give equal files. */
export function deterministicBytes(size: number, seed = "aidproof"): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; offset += 32, ++counter) {
    createHash("sha256").update(`${seed}:${counter}`).digest().copy(out, offset);
  }
  return out;
}

/** `count` chunks of `chunkSize` fresh random bytes, generated as they are consumed. */
export async function* randomStream(chunkSize: number, count: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; ++i) yield randomBytes(chunkSize);
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { PrivateKey, PublicKey, decrypt as eciesDecrypt, encrypt as eciesEncrypt } from "eciesjs";
import { DomainError } from "../errors";
import {
  ENVELOPE_MAGIC,
  ENVELOPE_VERSION,
  NONCE_BYTES,
  SUITE_AES256GCM_ECIES_SECP256K1,
  TAG_BYTES,
  parseEnvelopeHeader,
} from "./envelopeHeader";

/**
 * Envelope v1 for private evidence (docs/envelope.md). Content: AES-256-GCM with a fresh key and
 * 96-bit nonce, the whole header as associated data. Key: wrapped for each recipient's compressed
 * secp256k1 public key with ECIES (eciesjs: ephemeral secp256k1, HKDF-SHA256, AES-256-GCM).
 *
 *   "APEV" | version u8 = 1 | suite u8 = 1 | nonce[12] | count u16 BE
 *   count x ( publicKey[33] | wrappedLength u16 BE | wrappedKey[wrappedLength] )
 *   ciphertext | tag[16]
 */
export { EnvelopeFormatError, parseEnvelopeHeader, type EnvelopeHeader } from "./envelopeHeader";

const KEY_BYTES = 32;
const MAX_RECIPIENTS = 0xffff;

export class EnvelopeNotRecipientError extends DomainError {
  constructor(publicKey: string) {
    super("ENVELOPE_NOT_RECIPIENT", `the envelope has no key wrapped for ${publicKey}`, { publicKey });
  }
}

export class EnvelopeAuthenticationError extends DomainError {
  constructor(part: "wrapped key" | "content") {
    super("ENVELOPE_AUTH_FAILED", `envelope ${part} failed authentication: tampered with or corrupted`);
  }
}

function toBytes(hex: string | Uint8Array): Uint8Array {
  return typeof hex === "string" ? Buffer.from(hex.replace(/^0x/, ""), "hex") : hex;
}

function compressedPublicKey(key: string | Uint8Array): Buffer {
  try {
    return Buffer.from(PublicKey.fromHex(Buffer.from(toBytes(key)).toString("hex")).toBytes(true));
  } catch {
    throw new DomainError("INVALID_PUBLIC_KEY", "recipient keys must be secp256k1 public keys");
  }
}

function encodeHeader(nonce: Uint8Array, dataKey: Uint8Array, recipientKeys: (string | Uint8Array)[]): Buffer {
  if (recipientKeys.length === 0 || recipientKeys.length > MAX_RECIPIENTS) {
    throw new DomainError("INVALID_RECIPIENTS", `an envelope needs 1..${MAX_RECIPIENTS} recipients`);
  }
  const parts: Buffer[] = [
    Buffer.from(ENVELOPE_MAGIC),
    Buffer.from([ENVELOPE_VERSION, SUITE_AES256GCM_ECIES_SECP256K1]),
  ];
  const count = Buffer.alloc(2);
  count.writeUInt16BE(recipientKeys.length);
  parts.push(Buffer.from(nonce), count);
  for (const key of recipientKeys) {
    const publicKey = compressedPublicKey(key);
    const wrapped = Buffer.from(eciesEncrypt(publicKey, dataKey));
    const length = Buffer.alloc(2);
    length.writeUInt16BE(wrapped.length);
    parts.push(publicKey, length, wrapped);
  }
  return Buffer.concat(parts);
}

/**
 * Encrypts a byte stream into an envelope, streaming: the header first, then ciphertext as the
 * plaintext arrives, then the tag. A fresh key and nonce for every call.
 */
export async function* encryptEnvelope(
  plaintext: Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  recipientPublicKeys: (string | Uint8Array)[],
): AsyncGenerator<Uint8Array> {
  const dataKey = randomBytes(KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const header = encodeHeader(nonce, dataKey, recipientPublicKeys);
  const cipher = createCipheriv("aes-256-gcm", dataKey, nonce, { authTagLength: TAG_BYTES });
  dataKey.fill(0);
  cipher.setAAD(header);
  yield header;
  for await (const chunk of plaintext instanceof Uint8Array ? [plaintext] : plaintext) {
    const out = cipher.update(chunk);
    if (out.length > 0) yield out;
  }
  const last = cipher.final();
  if (last.length > 0) yield last;
  yield cipher.getAuthTag();
}

/** Decrypts a whole envelope; nothing is returned unless the key and the content authenticate. */
export function decryptEnvelope(envelope: Uint8Array, privateKey: string | Uint8Array): Buffer {
  const header = parseEnvelopeHeader(envelope);
  const secret = new PrivateKey(toBytes(privateKey));
  const ownKey = Buffer.from(secret.publicKey.toBytes(true)).toString("hex");
  const entry = header.recipients.find((r) => r.publicKey === ownKey);
  if (!entry) throw new EnvelopeNotRecipientError(ownKey);
  let dataKey: Buffer;
  try {
    dataKey = Buffer.from(eciesDecrypt(secret.secret, entry.wrappedKey));
  } catch {
    throw new EnvelopeAuthenticationError("wrapped key");
  }
  if (dataKey.length !== KEY_BYTES) throw new EnvelopeAuthenticationError("wrapped key");
  const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
  const decipher = createDecipheriv("aes-256-gcm", dataKey, header.nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(bytes.subarray(0, header.length));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(header.length, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new EnvelopeAuthenticationError("content");
  } finally {
    dataKey.fill(0);
  }
}

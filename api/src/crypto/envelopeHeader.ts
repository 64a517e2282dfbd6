import { DomainError } from "../errors";

/**
 * The header of an evidence envelope (docs/envelope.md), parsed from plain bytes: no Node Buffer, so
 * the web verifier reads it with the same code as the gateway and the validators.
 *
 *   "APEV" | version u8 = 1 | suite u8 = 1 | nonce[12] | count u16 BE
 *   count x ( publicKey[33] | wrappedLength u16 BE | wrappedKey[wrappedLength] )
 *   ciphertext | tag[16]
 */
export const ENVELOPE_MAGIC = Uint8Array.from([0x41, 0x50, 0x45, 0x56]); // "APEV"
export const ENVELOPE_VERSION = 1;
export const SUITE_AES256GCM_ECIES_SECP256K1 = 1;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const PUBLIC_KEY_BYTES = 33;
export const FIXED_HEADER_BYTES = ENVELOPE_MAGIC.length + 2 + NONCE_BYTES + 2;

export interface EnvelopeHeader {
  version: number;
  suite: number;
  nonce: Uint8Array;
  /** Compressed secp256k1 keys as lowercase hex (no 0x), each with its wrapped content key. */
  recipients: { publicKey: string; wrappedKey: Uint8Array }[];
  /** Header length in bytes: where the ciphertext starts. */
  length: number;
}

export class EnvelopeFormatError extends DomainError {
  constructor(reason: string) {
    super("ENVELOPE_MALFORMED", `not a valid evidence envelope: ${reason}`);
  }
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Parses the header; rejects unknown versions and suites and any truncation. `envelope` may be only
 * the first bytes of an envelope whose whole length is `totalLength` (a gateway streaming an upload
 * holds just its head): the header must lie within those bytes, and the whole must leave room for
 * the tag after it, so the head and the whole envelope give the same answer.
 */
export function parseEnvelopeHeader(envelope: Uint8Array, totalLength = envelope.byteLength): EnvelopeHeader {
  const bytes = envelope.subarray(0, Math.min(envelope.byteLength, totalLength));
  if (totalLength < FIXED_HEADER_BYTES + TAG_BYTES || bytes.length < FIXED_HEADER_BYTES)
    throw new EnvelopeFormatError("too short");
  if (!ENVELOPE_MAGIC.every((b, i) => bytes[i] === b)) throw new EnvelopeFormatError("bad magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[4];
  if (version !== ENVELOPE_VERSION) throw new EnvelopeFormatError(`unknown version ${version}`);
  const suite = bytes[5];
  if (suite !== SUITE_AES256GCM_ECIES_SECP256K1) throw new EnvelopeFormatError(`unknown suite ${suite}`);
  const nonce = bytes.subarray(6, 6 + NONCE_BYTES);
  const count = view.getUint16(6 + NONCE_BYTES);
  if (count === 0) throw new EnvelopeFormatError("no recipients");
  let offset = FIXED_HEADER_BYTES;
  const recipients: EnvelopeHeader["recipients"] = [];
  for (let i = 0; i < count; ++i) {
    if (offset + PUBLIC_KEY_BYTES + 2 > bytes.length) throw new EnvelopeFormatError("truncated recipients");
    const publicKey = hex(bytes.subarray(offset, offset + PUBLIC_KEY_BYTES));
    const wrappedLength = view.getUint16(offset + PUBLIC_KEY_BYTES);
    offset += PUBLIC_KEY_BYTES + 2;
    if (offset + wrappedLength > bytes.length) throw new EnvelopeFormatError("truncated wrapped key");
    recipients.push({ publicKey, wrappedKey: bytes.subarray(offset, offset + wrappedLength) });
    offset += wrappedLength;
  }
  if (totalLength - offset < TAG_BYTES) throw new EnvelopeFormatError("truncated ciphertext");
  return { version, suite, nonce, recipients, length: offset };
}

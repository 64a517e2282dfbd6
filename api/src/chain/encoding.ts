import createKeccakHash from "keccak";

/** Bytes in an ABI word. */
export const WORD = 32;

/** Keccak-256 with libkeccak (the `keccak` package's native binding): the hot paths hash with this. */
export function keccak256(bytes: Uint8Array): Buffer {
  return createKeccakHash("keccak256")
    .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest();
}

/** A non-negative integer or a byte string of up to 32 bytes, given as hex, as one left-padded ABI word. */
export function word(hex: string): Buffer {
  const digits = hex.replace(/^0x/, "");
  if (!/^[0-9a-fA-F]*$/.test(digits)) throw new RangeError(`not a non-negative hex value: ${hex}`);
  const bytes = Buffer.from(digits.length % 2 === 0 ? digits : `0${digits}`, "hex");
  if (bytes.length > WORD) throw new RangeError(`value does not fit in 32 bytes: ${hex}`);
  return Buffer.concat([Buffer.alloc(WORD - bytes.length), bytes]);
}

import createKeccakHash from "keccak";

/** Bytes in an ABI word. */
export const WORD = 32;

/** Keccak-256 with libkeccak (the `keccak` package's native binding): the hot paths hash with this. */
export function keccak256(bytes: Uint8Array): Buffer {
  return createKeccakHash("keccak256")
    .update(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest();
}

/** A uint256 (uint8 and smaller types are the same word, with a smaller range), left-padded. */
export function uintWord(value: bigint | number, name: string, bits = 256): Buffer {
  const n = BigInt(value);
  if (n < 0n || n >= 1n << BigInt(bits)) throw new RangeError(`${name} out of uint${bits} range`);
  return Buffer.from(n.toString(16).padStart(2 * WORD, "0"), "hex");
}

/** A bytes32 given as 0x-hex: exactly 32 bytes, as one word. */
export function bytes32Word(hex: string, name: string): Buffer {
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new RangeError(`${name} must be 32 bytes of 0x-hex`);
  return Buffer.from(hex.slice(2), "hex");
}

/** An address given as 0x-hex (any case: the checksum does not change the bytes), left-padded. */
export function addressWord(hex: string, name: string): Buffer {
  if (!/^0x[0-9a-fA-F]{40}$/.test(hex)) throw new RangeError(`${name} must be a 20-byte 0x-hex address`);
  return Buffer.concat([Buffer.alloc(WORD - 20), Buffer.from(hex.slice(2), "hex")]);
}

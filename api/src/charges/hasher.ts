import { createKeccak, type IHasher } from "hash-wasm";

/**
 * Keccak-256 for the charge tree's tens of millions of hashes: one WebAssembly hasher reused for
 * every input, about five times faster per 64-byte input than a native hash object created per call
 * (scripts/bench/apportion.ts prints the rate). Synchronous once created.
 */
export class BulkKeccak {
  private constructor(private readonly _hasher: IHasher) {}

  static async create(): Promise<BulkKeccak> {
    return new BulkKeccak(await createKeccak(256));
  }

  /** keccak256(bytes), written into `out` at `offset`. */
  hashInto(bytes: Uint8Array, out: Uint8Array, offset: number): void {
    this._hasher.init();
    this._hasher.update(bytes);
    out.set(this._hasher.digest("binary"), offset);
  }

  hash(bytes: Uint8Array): Uint8Array {
    this._hasher.init();
    this._hasher.update(bytes);
    return this._hasher.digest("binary");
  }
}

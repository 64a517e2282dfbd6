import {
  Signature,
  TypedDataEncoder,
  getAddress,
  getBytes,
  keccak256,
  type TypedDataDomain,
  type TypedDataField,
} from "ethers";
import { ecdsaRecover } from "secp256k1";

/**
 * The signer of an EIP-712 message, like ethers' verifyTypedData but with libsecp256k1 (the
 * `secp256k1` package's native binding, with its pure-JS fallback) doing the recovery: about 30 times
 * faster than ethers' JavaScript curve, which would cap the gateway near 600 uploads/s per core.
 * Signatures are parsed by ethers, which rejects malformed and non-canonical (high-s) ones.
 */
export function recoverTypedDataSigner(
  domain: TypedDataDomain,
  types: Record<string, TypedDataField[]>,
  message: Record<string, unknown>,
  signature: string,
): string {
  const sig = Signature.from(signature);
  const digest = getBytes(TypedDataEncoder.hash(domain, types, message));
  const compact = getBytes(sig.r + sig.s.slice(2));
  const publicKey = ecdsaRecover(compact, sig.yParity, digest, false);
  return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
}

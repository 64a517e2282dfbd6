/**
 * Ballot secrecy: a juror's choice is encrypted under a one-time key `k`, and `k` is split M-of-N
 * (Shamir, over the prime field of 2^255 - 19) among the validators' ballot keys for the case
 * (X25519, one per validator, published on chain). Each share is padded with a hash of the X25519
 * secret between the ballot's ephemeral key and that validator's key. Nobody can open a ballot until
 * M validators reveal their case keys, which the JuryCourt accepts only after the ballot set is sealed.
 *
 * Envelope bytes: ephemeral public key (32) ‖ one padded share per published key, in publication
 * order (32 each) ‖ AES-256-GCM ciphertext of the choice (1) ‖ tag (16). The AES key is
 * sha256("aidproof-ballot" ‖ k), the IV is zero (the key is used once), and the associated data is
 * the ballot context (chain, court, claim, round, juror): a ballot copied to another juror fails.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { AbiCoder, keccak256 } from "ethers";

export const FIELD_PRIME = 2n ** 255n - 19n;
const WORD = 32;
const TAG = 16;
const PKCS8_X25519 = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_X25519 = Buffer.from("302a300506032b656e032100", "hex");
const coder = AbiCoder.defaultAbiCoder();

export function envelopeLength(keyCount: number): number {
  return WORD + keyCount * WORD + 1 + TAG;
}

/** What a ballot is bound to, besides its choice. */
export interface BallotContext {
  chainId: bigint;
  juryCourt: string;
  claimId: bigint;
  round: number;
  juror: string;
}

export function contextBytes(c: BallotContext): Buffer {
  return Buffer.from(
    keccak256(
      coder.encode(
        ["uint256", "address", "uint256", "uint32", "address"],
        [c.chainId, c.juryCourt, c.claimId, c.round, c.juror],
      ),
    ).slice(2),
    "hex",
  );
}

function privateKeyObject(secret: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secret]), format: "der", type: "pkcs8" });
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: "der", type: "spki" });
}

export function x25519PublicKey(secret: Buffer): Buffer {
  return createPublicKey(privateKeyObject(secret)).export({ format: "der", type: "spki" }).subarray(-WORD);
}

/**
 * A validator's ballot key pair for one case round, derived from its validator key: nothing to store,
 * the same after a restart, and unrelated across cases, so revealing one opens no other case.
 */
export function deriveBallotKey(
  validatorPrivateKey: string,
  juryCourt: string,
  claimId: bigint,
  round: number,
): { secretKey: Buffer; publicKey: Buffer } {
  const secretKey = createHmac("sha256", Buffer.from(validatorPrivateKey.slice(2), "hex"))
    .update(`aidproof-ballot-key:${juryCourt.toLowerCase()}:${claimId}:${round}`)
    .digest();
  return { secretKey, publicKey: x25519PublicKey(secretKey) };
}

function toWord(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex");
}

function fromWord(bytes: Buffer): bigint {
  return BigInt(`0x${bytes.toString("hex")}`);
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

function inverse(a: bigint): bigint {
  let [r0, r1, s0, s1] = [mod(a), FIELD_PRIME, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0);
}

/** Lagrange coefficients at 0 for share indexes `xs` (1-based): the same for every ballot of a case. */
export function lagrangeAtZero(xs: number[]): bigint[] {
  return xs.map((xi, i) => {
    let num = 1n;
    let den = 1n;
    xs.forEach((xj, j) => {
      if (i === j) return;
      num = mod(num * BigInt(-xj));
      den = mod(den * BigInt(xi - xj));
    });
    return mod(num * inverse(den));
  });
}

function pad(sharedSecret: Buffer, ephemeral: Buffer, validatorKey: Buffer, index: number, context: Buffer): Buffer {
  return createHash("sha256")
    .update(sharedSecret)
    .update(ephemeral)
    .update(validatorKey)
    .update(Buffer.from([index]))
    .update(context)
    .digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function aesKey(k: bigint): Buffer {
  return createHash("sha256").update("aidproof-ballot").update(toWord(k)).digest();
}

/** A case's ballot keys, imported once for sealing many ballots. */
export interface SealingKeys {
  raw: Buffer[];
  objects: KeyObject[];
}

export function sealingKeys(ballotKeys: Buffer[]): SealingKeys {
  return { raw: ballotKeys, objects: ballotKeys.map(publicKeyObject) };
}

/** Encrypts `choice` (0 uphold, 1 overturn) to the case's ballot keys, any `threshold` of which open it. */
export function sealChoice(
  choice: number,
  ballotKeys: Buffer[] | SealingKeys,
  threshold: number,
  context: BallotContext,
): Buffer {
  const keys = Array.isArray(ballotKeys) ? sealingKeys(ballotKeys) : ballotKeys;
  if (threshold < 1 || threshold > keys.raw.length)
    throw new RangeError(`${keys.raw.length} ballot keys cannot open a ballot at threshold ${threshold}`);
  const ctx = contextBytes(context);
  const coefficients = Array.from({ length: threshold }, () => mod(fromWord(randomBytes(WORD))));
  const k = coefficients[0];
  const { privateKey: ephemeralKey, publicKey } = generateKeyPairSync("x25519");
  const ephemeral = publicKey.export({ format: "der", type: "spki" }).subarray(-WORD);
  const shares = keys.raw.map((key, i) => {
    const x = BigInt(i + 1);
    let y = 0n;
    for (let j = coefficients.length - 1; j >= 0; j--) y = mod(y * x + coefficients[j]);
    const secret = diffieHellman({ privateKey: ephemeralKey, publicKey: keys.objects[i] });
    return xor(toWord(y), pad(secret, ephemeral, key, i + 1, ctx));
  });
  const cipher = createCipheriv("aes-256-gcm", aesKey(k), Buffer.alloc(12));
  cipher.setAAD(ctx);
  const body = Buffer.concat([cipher.update(Buffer.from([choice])), cipher.final()]);
  return Buffer.concat([ephemeral, ...shares, body, cipher.getAuthTag()]);
}

/** The revealed keys that open a case's ballots: the first `threshold` revealed, by publication index. */
export interface OpeningKeys {
  /** 1-based publication indexes of the keys used. */
  indexes: number[];
  privateKeys: KeyObject[];
  publicKeys: Buffer[];
  coefficients: bigint[];
  keyCount: number;
}

export function openingKeys(
  revealed: { index: number; secretKey: Buffer; publicKey: Buffer }[],
  keyCount: number,
): OpeningKeys {
  const indexes = revealed.map((r) => r.index);
  return {
    indexes,
    privateKeys: revealed.map((r) => privateKeyObject(r.secretKey)),
    publicKeys: revealed.map((r) => r.publicKey),
    coefficients: lagrangeAtZero(indexes),
    keyCount,
  };
}

/** The choice inside `envelope`, or undefined when it does not open (malformed, wrong juror or case). */
export function openChoice(envelope: Buffer, keys: OpeningKeys, context: BallotContext): number | undefined {
  if (envelope.length !== envelopeLength(keys.keyCount)) return undefined;
  const ctx = contextBytes(context);
  const ephemeral = envelope.subarray(0, WORD);
  let ephemeralKey: KeyObject;
  try {
    ephemeralKey = publicKeyObject(ephemeral);
  } catch {
    return undefined;
  }
  let k = 0n;
  keys.indexes.forEach((index, i) => {
    const secret = diffieHellman({ privateKey: keys.privateKeys[i], publicKey: ephemeralKey });
    const share = xor(
      envelope.subarray(index * WORD, (index + 1) * WORD),
      pad(secret, ephemeral, keys.publicKeys[i], index, ctx),
    );
    k = mod(k + keys.coefficients[i] * fromWord(share));
  });
  const bodyAt = WORD + keys.keyCount * WORD;
  try {
    const decipher = createDecipheriv("aes-256-gcm", aesKey(k), Buffer.alloc(12));
    decipher.setAAD(ctx);
    decipher.setAuthTag(envelope.subarray(bodyAt + 1));
    const plain = Buffer.concat([decipher.update(envelope.subarray(bodyAt, bodyAt + 1)), decipher.final()]);
    return plain[0] <= 1 ? plain[0] : undefined;
  } catch {
    return undefined;
  }
}

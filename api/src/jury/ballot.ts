import { TypedDataEncoder, getBytes, type Signer } from "ethers";
import { ecdsaSign } from "secp256k1";
import { BALLOT_RECEIPT_TYPES, BALLOT_TYPES, JUROR_CREDENTIAL_TYPES, juryCourtDomain } from "../chain/typedData";
import { addressWord, bytes32Word, keccak256, uintWord } from "../chain/encoding";
import { recoverDigestSigner, typedDataDigest } from "../chain/signatures";

export interface BallotMessage {
  claimId: bigint;
  round: number;
  juror: string;
  /** A later sequence replaces an earlier ballot of the same juror in the same round. */
  sequence: number;
  /** keccak256 of the sealed envelope, 0x-hex. */
  envelopeHash: string;
}

export interface JurorCredential {
  voter: string;
  /** Salted hash of the platform's member id: pseudonymous. */
  memberHash: string;
  /** Unix seconds the member qualified as a juror. */
  qualifiedAt: number;
}

const typeHash = (types: typeof BALLOT_TYPES, name: string) =>
  keccak256(Buffer.from(TypedDataEncoder.from(types).encodeType(name)));
const BALLOT_TYPEHASH = typeHash(BALLOT_TYPES, "Ballot");
const CREDENTIAL_TYPEHASH = typeHash(JUROR_CREDENTIAL_TYPES, "JurorCredential");
const RECEIPT_TYPEHASH = typeHash(BALLOT_RECEIPT_TYPES, "BallotReceipt");

/** What the gateway signs for an accepted ballot. */
export interface ReceiptMessage extends BallotMessage {
  /** Unix seconds the gateway stored the ballot; the validators count it only if by the deadline. */
  receivedAt: number;
}

/**
 * EIP-712 digests and signers of ballots and juror credentials under the JuryCourt's domain, with
 * the struct encodings written out and native hashing and recovery: a close checks every ballot's
 * signature, hundreds of thousands of them. Tests hold it equal to the contract's digests.
 */
export class JurySignatures {
  private readonly _domainSeparator: Buffer;

  constructor(chainId: bigint, juryCourt: string) {
    this._domainSeparator = Buffer.from(getBytes(TypedDataEncoder.hashDomain(juryCourtDomain(chainId, juryCourt))));
  }

  ballotDigest(b: BallotMessage): Buffer {
    return typedDataDigest(
      this._domainSeparator,
      keccak256(
        Buffer.concat([
          BALLOT_TYPEHASH,
          uintWord(b.claimId, "claimId"),
          uintWord(b.round, "round", 32),
          addressWord(b.juror, "juror"),
          uintWord(b.sequence, "sequence", 32),
          bytes32Word(b.envelopeHash, "envelopeHash"),
        ]),
      ),
    );
  }

  credentialDigest(c: JurorCredential): Buffer {
    return typedDataDigest(
      this._domainSeparator,
      keccak256(
        Buffer.concat([
          CREDENTIAL_TYPEHASH,
          addressWord(c.voter, "voter"),
          bytes32Word(c.memberHash, "memberHash"),
          uintWord(c.qualifiedAt, "qualifiedAt", 48),
        ]),
      ),
    );
  }

  receiptDigest(r: ReceiptMessage): Buffer {
    return typedDataDigest(
      this._domainSeparator,
      keccak256(
        Buffer.concat([
          RECEIPT_TYPEHASH,
          uintWord(r.claimId, "claimId"),
          uintWord(r.round, "round", 32),
          addressWord(r.juror, "juror"),
          uintWord(r.sequence, "sequence", 32),
          bytes32Word(r.envelopeHash, "envelopeHash"),
          uintWord(r.receivedAt, "receivedAt", 48),
        ]),
      ),
    );
  }

  /** Signs a receipt with the gateway's key, natively (a ballot's hot path). */
  signReceipt(r: ReceiptMessage, privateKey: Buffer): string {
    const { signature, recid } = ecdsaSign(this.receiptDigest(r), privateKey);
    return `0x${Buffer.from(signature).toString("hex")}${(27 + recid).toString(16)}`;
  }

  receiptSigner(r: ReceiptMessage, signature: string): string {
    return recoverDigestSigner(this.receiptDigest(r), signature);
  }

  /** Lowercase address that signed the ballot; throws on a malformed signature. */
  ballotSigner(b: BallotMessage, signature: string): string {
    return recoverDigestSigner(this.ballotDigest(b), signature);
  }

  credentialSigner(c: JurorCredential, signature: string): string {
    return recoverDigestSigner(this.credentialDigest(c), signature);
  }
}

export function signBallot(signer: Signer, chainId: bigint, juryCourt: string, b: BallotMessage): Promise<string> {
  return signer.signTypedData(juryCourtDomain(chainId, juryCourt), BALLOT_TYPES, { ...b });
}

export function signCredential(
  signer: Signer,
  chainId: bigint,
  juryCourt: string,
  c: JurorCredential,
): Promise<string> {
  return signer.signTypedData(juryCourtDomain(chainId, juryCourt), JUROR_CREDENTIAL_TYPES, { ...c });
}

import type { TypedDataDomain, TypedDataField } from "ethers";

/** EIP-712 types signed by claimants and jurors; they mirror the contracts' typehashes. */
export const FILE_CLAIM_TYPES: Record<string, TypedDataField[]> = {
  FileClaim: [
    { name: "claimant", type: "address" },
    { name: "planId", type: "uint64" },
    { name: "amount", type: "uint128" },
    { name: "metadataCid", type: "string" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export const DISPUTE_CLAIM_TYPES: Record<string, TypedDataField[]> = {
  DisputeClaim: [
    { name: "claimId", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

/** A juror's ballot: its choice is inside the envelope, sealed to the validators' ballot keys. */
export const BALLOT_TYPES: Record<string, TypedDataField[]> = {
  Ballot: [
    { name: "claimId", type: "uint256" },
    { name: "round", type: "uint32" },
    { name: "juror", type: "address" },
    { name: "sequence", type: "uint32" },
    { name: "envelopeHash", type: "bytes32" },
  ],
};

/** The platform's statement that the member holding `voter` qualified as a juror at `qualifiedAt`. */
export const JUROR_CREDENTIAL_TYPES: Record<string, TypedDataField[]> = {
  JurorCredential: [
    { name: "voter", type: "address" },
    { name: "memberHash", type: "bytes32" },
    { name: "qualifiedAt", type: "uint48" },
  ],
};

/** The gateway's signed acknowledgement of a ballot: with it, a juror proves a dropped ballot. */
export const BALLOT_RECEIPT_TYPES: Record<string, TypedDataField[]> = {
  BallotReceipt: [
    { name: "claimId", type: "uint256" },
    { name: "round", type: "uint32" },
    { name: "juror", type: "address" },
    { name: "sequence", type: "uint32" },
    { name: "envelopeHash", type: "bytes32" },
    { name: "receivedAt", type: "uint48" },
  ],
};

/** The JuryCourt's own EIP-712 domain (its constructor's name and version). */
export function juryCourtDomain(chainId: bigint, juryCourt: string): TypedDataDomain {
  return { name: "AidProof JuryCourt", version: "1", chainId, verifyingContract: juryCourt };
}

export interface FileClaimMessage {
  claimant: string;
  planId: bigint;
  amount: bigint;
  metadataCid: string;
  nonce: bigint;
  deadline: bigint;
}

export interface SignedFileClaim extends FileClaimMessage {
  signature: string;
}

/** Anything exposing ERC-5267 `eip712Domain()`, as the ClaimRegistry and JuryCourt do. */
export interface Eip712DomainSource {
  eip712Domain(): Promise<[string, string, string, bigint, string, string, bigint[]]>;
}

/** Reads the signing domain from the contract itself, so a signature binds its chain and address. */
export async function readDomain(contract: Eip712DomainSource): Promise<TypedDataDomain> {
  const [, name, version, chainId, verifyingContract] = await contract.eip712Domain();
  return { name, version, chainId, verifyingContract };
}

/**
 * A claimant's signature over one evidence upload. Checked off chain by the gateway and by every
 * validator; its domain names the EvidenceRegistry, so it binds chain and deployment.
 */
export const EVIDENCE_TYPES: Record<string, TypedDataField[]> = {
  Evidence: [
    { name: "claimId", type: "uint256" },
    { name: "contentHash", type: "bytes32" },
    { name: "kind", type: "uint8" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
};

export function evidenceDomain(chainId: bigint, evidenceRegistry: string): TypedDataDomain {
  return { name: "AidProof Evidence", version: "1", chainId, verifyingContract: evidenceRegistry };
}

/** The ClaimRegistry's own EIP-712 domain (its constructor's name and version), for clients without an RPC. */
export function claimRegistryDomain(chainId: bigint, claimRegistry: string): TypedDataDomain {
  return { name: "AidProof ClaimRegistry", version: "1", chainId, verifyingContract: claimRegistry };
}

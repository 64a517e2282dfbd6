import { DomainError } from "../errors";

/** A block's bytes do not hash to its CID: corrupted on disk or tampered with in transit. */
export class BlockMismatchError extends DomainError {
  constructor(cid: string, source: string) {
    super("BLOCK_MISMATCH", `block ${cid} from ${source} does not match its CID`, { cid, source });
  }
}

export class ContentNotFoundError extends DomainError {
  constructor(cid: string) {
    super("CONTENT_NOT_FOUND", `no content ${cid} in the store`, { cid });
  }
}

export class ContentTooLargeError extends DomainError {
  constructor(limitBytes: number) {
    super("CONTENT_TOO_LARGE", `content exceeds the limit of ${limitBytes} bytes`, { limitBytes });
  }
}

export class InvalidCidError extends DomainError {
  constructor(input: string, reason: string) {
    super("INVALID_CID", `invalid CID "${input}": ${reason}`, { cid: input });
  }
}

/** A gateway answered, but not with a verifiable CAR of the requested DAG. */
export class GatewayResponseError extends DomainError {
  constructor(source: string, reason: string) {
    super("GATEWAY_BAD_RESPONSE", `${source}: ${reason}`, { source });
  }
}

/**
 * A failure the caller can act on, with a stable machine-readable code. Services and adapters throw
 * these; the HTTP layer maps codes to statuses in one place (api/src/http/errorHandler.ts).
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

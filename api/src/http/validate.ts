import { z } from "zod";
import { DomainError } from "../errors";

/** Parses request input with its zod schema; a failure is a 400 VALIDATION_FAILED naming each field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, part: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new DomainError("VALIDATION_FAILED", `invalid ${part}: ${z.prettifyError(result.error)}`, {
    issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

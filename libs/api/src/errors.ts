import type { z } from "zod";
// The errors module alone: this package is also bundled into the browser dashboard.
import { ShoalError } from "@shoal/common/errors";

/** One thing wrong with a request: the dotted path of the field and what to do about it. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** A request or object failed validation. `issues` name every wrong field; HTTP 400. */
export class ValidationError extends ShoalError {
  readonly code = "SHOAL_ERR_INVALID_ARGUMENT";
  readonly status = 400;
  constructor(
    readonly what: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(`api: invalid ${what}: ${issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join("; ")}`);
  }
}

/** Parses `value` with `schema`, or throws ValidationError naming each wrong field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(
    what,
    r.error.issues.map((i) => ({ field: i.path.map(String).join("."), message: i.message })),
  );
}

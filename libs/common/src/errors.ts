/**
 * The base of Shoal's typed errors. Each has a stable `code` (`SHOAL_ERR_*`), the HTTP `status` an API
 * answers with, `temporary` when the same call may succeed later, and an optional `hint` saying what to do.
 * Decide what to do from the class and these fields, never from the message. Each package derives its own
 * abstract base (RaftError, StoreError, RuntimeError, ...) from this one, so `instanceof ShoalError` is how an
 * API layer maps any of them to a response.
 */
export abstract class ShoalError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly temporary: boolean = false;
  readonly hint: string | undefined;

  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.hint = options?.hint;
  }
}

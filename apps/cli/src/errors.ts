/**
 * Typed errors of the CLI. A UsageError is the user's mistake on the command line (exit 2, names the flag);
 * a CliError is anything else the CLI itself detects (exit 1). Errors from the API arrive as ApiError.
 */

/** A bad command line: unknown flag, missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  readonly code = "SHOAL_ERR_USAGE";
  readonly exitCode = 2;
  constructor(
    message: string,
    /** The command whose `--help` explains the syntax, e.g. `service create`. */
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the CLI detects itself (a daemon did not start, a service did not converge). Exit code 1. */
export class CliError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
  }

  /** The message and the hint, as the CLI prints them. */
  describe(): string {
    return this.hint ? `${this.message}\nhint: ${this.hint}` : this.message;
  }
}

/**
 * Errors of the datadriven test framework. Every message starts with `datadriven:` and the `file:line` of the
 * directive (or of the bad line), so that a failing scenario can be opened straight from the test output.
 */

/** A malformed scenario file, a bad argument, or a handler that failed. `pos` is `file:line`. */
export class DatadrivenError extends Error {
  /** Stable code; decide from this, never from the message text. */
  readonly code: string = "SHOAL_ERR_DATADRIVEN";

  constructor(
    /** `file:line` the error is about. */
    readonly pos: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`datadriven: ${pos}: ${message}`, options);
    this.name = new.target.name;
  }
}

/** A directive's actual output differs from its expected output; `diff` is a unified diff of the two. */
export class DatadrivenMismatchError extends DatadrivenError {
  override readonly code: string = "SHOAL_ERR_DATADRIVEN_MISMATCH";

  constructor(
    pos: string,
    /** The directive line as written in the file. */
    readonly directive: string,
    /** Expected output, from the file. */
    readonly expected: string,
    /** Actual output, from the handler (normalised to end with one newline). */
    readonly actual: string,
    /** Unified diff, expected (`-`) vs actual (`+`). */
    readonly diff: string,
  ) {
    super(
      pos,
      `output of "${directive}" does not match the expected output\n${diff}` +
        `(rerun with SHOAL_REWRITE=1 to accept the actual output, then review the change to the file)`,
    );
  }
}

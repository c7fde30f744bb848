/**
 * Errors of the linearizability checker. Messages start with `linearizability:`; decide from `code`, never
 * from the message text.
 */

/** A history that cannot be checked as given: a bad time, or a call completed twice. The message names the fix. */
export class HistoryError extends Error {
  /** Stable code of this error. */
  readonly code: string = "SHOAL_ERR_LINEARIZABILITY_HISTORY";

  constructor(message: string) {
    super(`linearizability: ${message}`);
    this.name = new.target.name;
  }
}

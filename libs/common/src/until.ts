import { COMMON_ERRORS, ShoalError } from "./errors.js";

/** `until` gave up: what it waited for, and the last error the probe threw. */
export class WaitTimeoutError extends ShoalError {
  readonly code = "SHOAL_ERR_WAIT_TIMEOUT";
  readonly status = COMMON_ERRORS[this.code].status;
}

/**
 * Polls `f` until it returns a truthy value, for states of other processes and machines that give no event to
 * wait on (tests, benchmarks, CLIs waiting for daemons). Rejects with WaitTimeoutError after `timeoutMs`,
 * naming `what` and the last error `f` threw.
 */
export async function until<T>(
  f: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
  intervalMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : "";
      throw new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

import { HarnessError } from "./errors.js";

/**
 * Polls `f` until it returns a truthy value, for states of other processes and containers that give no event to
 * wait on. Rejects after `timeoutMs` with the last error `f` threw.
 */
export async function until<T>(f: () => T | Promise<T>, timeoutMs: number, what: string, intervalMs = 200): Promise<NonNullable<T>> {
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
      throw new HarnessError("SHOAL_ERR_HARNESS_TIMEOUT", `harness: timed out after ${timeoutMs} ms waiting for ${what}${why}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Resolves once `check` holds, polling every 10 ms; rejects after `timeoutMs` naming `what`. For conditions no
 * event announces (a container removed, a rule published); prefer an event where there is one.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

/** A fresh temp dir removed when the test ends, pass or fail. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-logs-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock for writers: 2026-11-23T10:00:00Z plus 1 ms per call, so entry times are distinct and ordered. */
export function stepClock(): () => bigint {
  let tick = 0n;
  const base = BigInt(Date.UTC(2026, 10, 23, 10)) * 1_000_000n;
  return () => base + 1_000_000n * tick++;
}

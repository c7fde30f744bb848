import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import type { ShoalClient } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import { certificatePaths } from "@shoal/trust";

/**
 * A client of real managers (`startManager`) over HTTPS, trusting the cluster's bundle in `dataDir` (written at
 * init) and accepting any manager of its cluster; its connections are closed after the test.
 */
export function managerClient(t: TestContext, dataDir: string, managers: string[], timeoutMs = 10_000): ShoalClient {
  const c = trustedClient({ managers, timeoutMs, trust: readFileSync(certificatePaths(dataDir).trust, "utf8") });
  t.after(() => c.close());
  return c.client;
}

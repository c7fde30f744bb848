import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import type { ShoalClient } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import { certificatePaths } from "@shoal/trust";

/**
 * A client of real managers (`startManager`) over HTTPS as the cluster's admin: it trusts the bundle and
 * presents root's certificate of the admin bundle `cluster init` wrote in `dataDir`, and accepts any manager of
 * its cluster; its connections are closed after the test.
 */
export function managerClient(t: TestContext, dataDir: string, managers: string[], timeoutMs = 10_000): ShoalClient {
  const admin = certificatePaths(dataDir).admin;
  const c = trustedClient({
    managers,
    timeoutMs,
    trust: readFileSync(admin.ca, "utf8"),
    cert: readFileSync(admin.cert, "utf8"),
    key: readFileSync(admin.key, "utf8"),
  });
  t.after(() => c.close());
  return c.client;
}

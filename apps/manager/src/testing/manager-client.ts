import { readFileSync } from "node:fs";
import type { TestContext } from "node:test";
import { ShoalClient } from "@shoal/api";
import { createTlsFetch } from "@shoal/api/node";
import { anyManagerOf, certificatePaths, clusterIdOfRoot, parseCertificates } from "@shoal/trust";

/**
 * A client of real managers (`startManager`) over HTTPS, trusting the cluster's bundle in `dataDir` (written at
 * init) and accepting any manager of its cluster; its connections are closed after the test.
 */
export function managerClient(t: TestContext, dataDir: string, managers: string[], timeoutMs = 10_000): ShoalClient {
  const trust = readFileSync(certificatePaths(dataDir).trust, "utf8");
  const [root] = parseCertificates(trust);
  const clusterId = root ? clusterIdOfRoot(root) : undefined;
  if (!clusterId) throw new Error(`${certificatePaths(dataDir).trust} names no cluster`);
  const tls = createTlsFetch({ trust, expect: anyManagerOf(clusterId) });
  t.after(() => tls.close());
  return new ShoalClient({ managers, timeoutMs, scheme: "https", fetch: tls.fetch });
}

// Certificates for the benchmark's TLS configurations: one throwaway cluster CA (ECDSA P-256, libs/trust's
// in-process CA), a manager certificate per member (its URI SAN, and IP 127.0.0.1 and DNS localhost, which
// etcd's peers and clients check) and a user certificate for the load generator's client side.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTestCa } from "../../libs/trust/dist/testing/index.js";

/** The Shoal cluster id the benchmark's certificates name. */
export const BENCH_CLUSTER = "bench";

/**
 * Writes `ca.pem`, `n<i>.pem` (chain) and `n<i>-key.pem` for members 1..`members`, and `client.pem`,
 * `client-key.pem` into `dir` (mode 0600). Returns the paths and the client's PEM texts.
 */
export async function writeBenchCertificates(dir, members) {
  const ca = await newTestCa(BENCH_CLUSTER);
  const file = (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const ca_ = file("ca.pem", ca.trust.join(""));
  const nodes = [];
  for (let i = 1; i <= members; i++) {
    const c = await ca.manager(`n${i}`);
    nodes.push({ cert: file(`n${i}.pem`, c.chain.join("")), key: file(`n${i}-key.pem`, c.key) });
  }
  const client = await ca.user("bench-client");
  return {
    dir,
    ca: ca_,
    nodes,
    client: { cert: file("client.pem", client.chain.join("")), key: file("client-key.pem", client.key) },
    pem: { ca: ca.trust.join(""), cert: client.chain.join(""), key: client.key },
  };
}

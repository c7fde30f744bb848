import { randomBytes } from "node:crypto";
import type { Identity } from "../identity.js";
import { generateKeyAndCsr } from "../pki/csr.js";
import { createRootCa } from "../pki/ca.js";
import type { CaMaterial, CaSigner } from "../pki/issue.js";
import { signLeaf } from "../pki/sign.js";
import type { LeafRequest } from "../profile.js";

/**
 * `@shoal/trust/testing`: an in-process CA for tests of every package. Its root is made once per process and
 * cluster id (`testCa()`), leaves in about a millisecond each. Not for production: keys live in memory only.
 */

const DAY = 24 * 60 * 60 * 1000;

/** Credentials a test process presents: its chain and key, and the roots to trust. */
export interface TestCredentials {
  readonly identity: Identity;
  /** Leaf first (PEM blocks). */
  readonly chain: readonly string[];
  /** The leaf alone (PEM). */
  readonly cert: string;
  /** PKCS#8 PEM. */
  readonly key: string;
  /** The CA's trust bundle (PEM blocks). */
  readonly trust: readonly string[];
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** Options of one issue: when (default now) and for how long (default 1 day). */
export interface TestIssueOptions {
  readonly now?: Date;
  readonly validityMs?: number;
}

/** An in-process CA of one cluster. */
export interface TestCa {
  readonly clusterId: string;
  readonly root: CaMaterial;
  readonly signer: CaSigner;
  /** The trust bundle: the root (PEM blocks). */
  readonly trust: readonly string[];
  /** Issues a certificate for any request (a fresh P-256 key each time). */
  issue(request: LeafRequest, opts?: TestIssueOptions): Promise<TestCredentials>;
  agent(nodeId: string, opts?: TestIssueOptions): Promise<TestCredentials>;
  manager(nodeId: string, addresses?: readonly string[], opts?: TestIssueOptions): Promise<TestCredentials>;
  user(userId: string, opts?: TestIssueOptions): Promise<TestCredentials>;
}

/**
 * A new test CA (uncached: for "a certificate of another CA"). Its root dates from a week ago, so tests can
 * issue certificates that are already expired (`{now: <two days ago>, validityMs: <an hour>}`).
 */
export async function newTestCa(clusterId = "c-test", signer?: CaSigner): Promise<TestCa> {
  const root = signer ?? { ...(await createRootCa({ clusterId, now: new Date(Date.now() - 7 * DAY) })), chain: [] };
  const trust = [root.cert];
  const issue = async (request: LeafRequest, opts: TestIssueOptions = {}): Promise<TestCredentials> => {
    const { key, csr } = await generateKeyAndCsr();
    const issued = await signLeaf({
      signer: root,
      csr,
      request,
      now: opts.now ?? new Date(),
      validityMs: opts.validityMs ?? DAY,
      random: randomBytes,
    });
    return { ...issued, key, trust, chain: issued.chain };
  };
  return {
    clusterId,
    root: { cert: root.cert, key: root.key },
    signer: root,
    trust,
    issue,
    agent: (nodeId, opts) => issue({ kind: "agent", clusterId, nodeId }, opts),
    manager: (nodeId, addresses = [], opts) => issue({ kind: "manager", clusterId, nodeId, addresses }, opts),
    user: (userId, opts) => issue({ kind: "user", clusterId, userId }, opts),
  };
}

const cache = new Map<string, Promise<TestCa>>();

/** The process's test CA of `clusterId` (default `c-test`), made on first use. */
export function testCa(clusterId = "c-test"): Promise<TestCa> {
  let ca = cache.get(clusterId);
  if (!ca) {
    ca = newTestCa(clusterId);
    cache.set(clusterId, ca);
  }
  return ca;
}
export { forgeCertificate } from "./forge.js";

import { createPrivateKey, createPublicKey } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { ApiError, ShoalClient, type JoinInfo } from "@shoal/api";
import {
  assertChain,
  CertificateRefusedError,
  certificatePaths,
  exactIdentity,
  parseCertificates,
  parseJoinToken,
  rootDigest,
  splitPemCertificates,
  writeCertificateFiles,
  writeTrustBundle,
  InvalidTokenError as MalformedTokenError,
} from "@shoal/trust";
import { InvalidTokenError, JoinError } from "./errors.js";
import { AgentStateFiles } from "./state-files.js";

/** What joining a cluster gives a node: the join answer, and the key of its certificate (PKCS#8 PEM). */
export interface JoinedNode {
  readonly info: JoinInfo;
  readonly key: string;
}

/**
 * Joins a cluster with a join token (POST /v1/cluster/join on the managers' API): makes the node's key and a
 * certificate signing request, and gets back the node id the cluster gave, its certificate and the trust
 * bundle. The answer is checked before it is used: the bundle must hold the root the token names, and the
 * certificate must chain to it, name this node's agent and carry this key.
 */
export async function joinCluster(
  managers: readonly string[],
  token: string,
  o: { hostname?: string | undefined; fetch?: typeof fetch } = {},
): Promise<JoinedNode> {
  let caDigest: Uint8Array;
  try {
    caDigest = parseJoinToken(token).caDigest;
  } catch (e) {
    if (e instanceof MalformedTokenError) throw new InvalidTokenError(`the join token is malformed: ${e.detail}`);
    throw e;
  }
  // The certificate maker is loaded only when a node joins.
  const { generateKeyAndCsr } = await import("@shoal/trust/pki");
  const { key, csr } = await generateKeyAndCsr();
  const client = new ShoalClient({ managers, timeoutMs: 10_000, ...(o.fetch ? { fetch: o.fetch } : {}) });
  let info: JoinInfo;
  try {
    info = await client.call("clusterJoin", {
      body: {
        token,
        csr,
        node: {
          hostname: o.hostname ?? os.hostname(),
          platform: { os: os.platform(), architecture: os.machine() },
          resources: { cpus: os.availableParallelism(), memoryBytes: os.totalmem() },
        },
      },
    });
  } catch (e) {
    if (e instanceof ApiError && e.code === "SHOAL_ERR_INVALID_TOKEN") throw new InvalidTokenError(e.message);
    throw new JoinError(`cannot join the cluster through ${managers.join(", ")}: ${(e as Error).message}`, e);
  }
  checkJoinAnswer(info, key, caDigest, managers.join(", "));
  return { info, key };
}

/** Refuses a join answer that the token's CA, this node's key or the node id it names do not vouch for. */
function checkJoinAnswer(info: JoinInfo, key: string, caDigest: Uint8Array, from: string): void {
  const trust = parseCertificates(info.trust);
  const anchor = trust.find((c) => Buffer.from(rootDigest(c)).equals(Buffer.from(caDigest)));
  if (!anchor)
    throw new JoinError(
      `the cluster at ${from} answered with a CA the join token does not name (another cluster, or something else answers there); nothing was saved`,
    );
  let verified;
  try {
    verified = assertChain({
      presented: parseCertificates(info.certificate),
      trust: [anchor],
      at: new Date(),
      clusterId: info.clusterId.toLowerCase(),
      purpose: "client",
      expect: exactIdentity({ kind: "agent", clusterId: info.clusterId.toLowerCase(), nodeId: info.nodeId }),
    });
  } catch (e) {
    if (!(e instanceof CertificateRefusedError)) throw e;
    throw new JoinError(`the certificate ${from} answered is not this node's: ${e.message}; nothing was saved`, e);
  }
  const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: "der", type: "spki" });
  if (!spki(verified.leaf.publicKey).equals(spki(createPublicKey(createPrivateKey(key)))))
    throw new JoinError(`the certificate ${from} answered is not for this node's key`);
}

/**
 * Writes what joining gave under the node's data dir: the trust bundle and the agent's certificate and key in
 * `<dataDir>/certificates`, then the join state in `<dataDir>/agent/join.json` (written last: its presence
 * says the node has joined).
 */
export async function saveJoin(dataDir: string, joined: JoinedNode): Promise<void> {
  const paths = certificatePaths(dataDir);
  await writeTrustBundle(paths.trust, splitPemCertificates(joined.info.trust));
  await writeCertificateFiles(paths.agent, splitPemCertificates(joined.info.certificate), joined.key);
  await new AgentStateFiles(path.join(dataDir, "agent")).writeJoin(joined.info);
}

/** Joins a cluster and saves what it gave (see {@link joinCluster}, {@link saveJoin}): the join answer. */
export async function joinNode(
  dataDir: string,
  managers: readonly string[],
  token: string,
  o: { hostname?: string | undefined; fetch?: typeof fetch } = {},
): Promise<JoinInfo> {
  const joined = await joinCluster(managers, token, o);
  await saveJoin(dataDir, joined);
  return joined.info;
}

import { createPrivateKey, createPublicKey } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { ApiError, type JoinInfo } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import {
  assertChain,
  CaMismatchError,
  CertificateRefusedError,
  probeClusterAnchor,
  type ProbedAnchor,
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
 * Joins a cluster with a join token through the first manager of `managers` (POST /v1/cluster/join over
 * HTTPS): first checks that the manager presents the CA the token names (else CaMismatchError, and the token is
 * not sent), then makes the node's key and a certificate signing request, and gets back the node id the cluster
 * gave, its certificate and the trust bundle. The answer is checked before it is used: the bundle must hold the
 * root the token names, and the certificate must chain to it, name this node's agent and carry this key.
 */
export async function joinCluster(
  managers: readonly string[],
  token: string,
  o: { hostname?: string | undefined } = {},
): Promise<JoinedNode> {
  let caDigest: Uint8Array;
  try {
    caDigest = parseJoinToken(token).caDigest;
  } catch (e) {
    if (e instanceof MalformedTokenError) throw new InvalidTokenError(`the join token is malformed: ${e.detail}`);
    throw e;
  }
  const manager = managers[0];
  if (!manager) throw new JoinError("give the address of a manager to join through");
  // The manager must present the CA the token names before anything is sent to it (§4.5): the probe reads its
  // chain and closes; the join then trusts that root alone and any manager of its cluster.
  let anchor: ProbedAnchor;
  try {
    anchor = await probeClusterAnchor({ ...hostPort(manager), caDigest });
  } catch (e) {
    if (e instanceof CaMismatchError) throw e;
    throw new JoinError(`cannot join the cluster through ${manager}: ${(e as Error).message}`, e);
  }
  // The certificate maker is loaded only when a node joins.
  const { generateKeyAndCsr } = await import("@shoal/trust/pki");
  const { key, csr } = await generateKeyAndCsr();
  let tls;
  try {
    tls = trustedClient({ managers: [manager], timeoutMs: 10_000, pinned: true, trust: anchor.pem });
  } catch (e) {
    throw new JoinError(`the CA ${manager} presents names no cluster (${(e as Error).message})`, e);
  }
  let info: JoinInfo;
  try {
    info = await tls.client.call("clusterJoin", {
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
    throw new JoinError(`cannot join the cluster through ${manager}: ${(e as Error).message}`, e);
  } finally {
    await tls.close();
  }
  checkJoinAnswer(info, key, caDigest, manager);
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
  o: { hostname?: string | undefined } = {},
): Promise<JoinInfo> {
  const joined = await joinCluster(managers, token, o);
  await saveJoin(dataDir, joined);
  return joined.info;
}

/** `host:port` (IPv6 in brackets) as the probe takes it. */
function hostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr.replace(/^https?:\/\//, "").replace(/\/+$/, ""));
  if (!m?.[1] || !m[2])
    throw new JoinError(`${addr} is not HOST:PORT: give the manager's API address, e.g. 10.0.0.1:7070`);
  return { host: m[1], port: Number(m[2]) };
}

import type { X509Certificate } from "node:crypto";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import type { ClusterSecrets, JoinInfo, JoinRequest } from "@shoal/api";
import { writeFileDurably } from "@shoal/common";
import {
  certificatePaths,
  DEFAULT_NODE_CERT_EXPIRY_MS,
  identityOfCertificate,
  joinPem,
  mustRenewNow,
  readCertificateFiles,
  readTrustBundle,
  splitPemCertificates,
  validityOf,
  writeCertificateFiles,
  writeTrustBundle,
  type LeafRequest,
} from "@shoal/trust";
import type { CaSigner, IssuedCertificate } from "@shoal/trust/pki";
import { ManagerStartError } from "./errors.js";

/** What the manager serves its API with: its chain (leaf first), key, and the trust bundle (PEM blocks). */
export interface ManagerTls {
  readonly chain: string[];
  readonly key: string;
  readonly trust: string[];
}

/** A key made here and the certificate the CA issued for it. */
export interface KeyedCertificate {
  readonly issued: IssuedCertificate;
  readonly key: string;
}

/** Makes a key here and has `signer` certify it as `request` says. */
export async function issueWithNewKey(
  signer: CaSigner,
  request: LeafRequest,
  now: Date,
  validityMs = DEFAULT_NODE_CERT_EXPIRY_MS,
): Promise<KeyedCertificate> {
  // The certificate maker is loaded only where a manager makes keys (init, a self-issued renewal).
  const { generateKeyAndCsr, signLeaf } = await import("@shoal/trust/pki");
  const { key, csr } = await generateKeyAndCsr();
  return { key, issued: await signLeaf({ signer, csr, request, now, validityMs }) };
}

/** The node's description at init, as its agent will report it when it registers. */
export function localDescription(): NonNullable<JoinRequest["node"]> {
  return {
    hostname: os.hostname(),
    platform: { os: os.platform(), architecture: os.machine() },
    resources: { cpus: os.availableParallelism(), memoryBytes: os.totalmem() },
  };
}

/** Writes the manager's certificate and key (`<dataDir>/manager/certificates`, key 0600). */
export async function writeManagerCertificate(dataDir: string, chain: readonly string[], key: string): Promise<void> {
  await writeCertificateFiles(certificatePaths(dataDir).manager, chain, key);
}

/**
 * At `cluster init`, the first node's files, as a join would have written them: the trust bundle, its agent's
 * certificate and key and join state (so the local agent starts without joining), and the manager's.
 */
export async function writeFirstNodeFiles(
  dataDir: string,
  o: { roots: string[]; agent: KeyedCertificate; manager: KeyedCertificate; join: JoinInfo },
): Promise<void> {
  const paths = certificatePaths(dataDir);
  await writeTrustBundle(paths.trust, o.roots);
  await writeCertificateFiles(paths.agent, o.agent.issued.chain, o.agent.key);
  await writeManagerCertificate(dataDir, o.manager.issued.chain, o.manager.key);
  const joinFile = join(dataDir, "agent", "join.json");
  await mkdir(dirname(joinFile), { recursive: true, mode: 0o700 });
  await writeFileDurably(joinFile, `${JSON.stringify(o.join, null, 2)}\n`);
}

/** The trust bundle and a chain of the node's files as the API serves them, with the chain's leaf. */
async function readTls(
  dataDir: string,
  which: "agent" | "manager",
): Promise<{ tls: ManagerTls; leaf: X509Certificate | undefined }> {
  const paths = certificatePaths(dataDir);
  const own = await readCertificateFiles(paths[which]);
  const trust = (await readTrustBundle(paths.trust)).map((c) => splitPemCertificates(c.toString())[0] ?? "");
  return { tls: { chain: [...own.chain], key: own.key, trust }, leaf: own.certificates[0] };
}

/**
 * The manager's certificate from its files, or undefined when it is missing, expired or close to it (then the
 * manager issues itself one, see {@link selfIssuedTls}). Its node id must be `nodeId` when given.
 */
export async function readManagerTls(dataDir: string, nodeId?: string): Promise<ManagerTls | undefined> {
  let read;
  try {
    read = await readTls(dataDir, "manager");
  } catch {
    return undefined;
  }
  const { tls, leaf } = read;
  if (!leaf) return undefined;
  const id = identityOfCertificate(leaf);
  if (id?.kind !== "manager" || (nodeId !== undefined && id.nodeId !== nodeId)) return undefined;
  const { from, to } = validityOf(leaf);
  return mustRenewNow(from, to, new Date()) ? undefined : tls;
}

/** The node this data dir's agent certificate names, and the TLS material it joins with. */
export async function agentTls(dataDir: string): Promise<{ tls: ManagerTls; nodeId: string }> {
  let read;
  try {
    read = await readTls(dataDir, "agent");
  } catch (e) {
    throw new ManagerStartError(
      `manager: this node has no agent certificate in ${dirname(certificatePaths(dataDir).agent.cert)} (${(e as Error).message}): a manager joins from a node that joined the cluster`,
      { hint: "join the node with `shoal cluster join --token <manager token> <manager>`, which starts the manager" },
    );
  }
  const id = read.leaf ? identityOfCertificate(read.leaf) : undefined;
  if (id?.kind !== "agent")
    throw new ManagerStartError(`manager: ${certificatePaths(dataDir).agent.cert} is not an agent certificate`);
  return { tls: read.tls, nodeId: id.nodeId };
}

/**
 * A manager whose certificate is missing or expiring issues itself one from the CA in its local store: every
 * manager holds the CA (§4.8). Written to its files; the store keeps no record of it (only the leader writes).
 */
export async function selfIssuedTls(
  dataDir: string,
  secrets: Pick<ClusterSecrets, "ca">,
  request: Extract<LeafRequest, { kind: "manager" }>,
): Promise<ManagerTls> {
  const c = await issueWithNewKey(secrets.ca.signer, request, new Date());
  await writeManagerCertificate(dataDir, c.issued.chain, c.key);
  return { chain: [...c.issued.chain], key: c.key, trust: [...secrets.ca.roots] };
}

/** The chain of an issued certificate, as one PEM text. */
export const chainPem = (c: KeyedCertificate): string => joinPem(c.issued.chain);

import { createHash, X509Certificate } from "node:crypto";
import { trustedClient, type TrustedClient, type TrustedClientOptions } from "@shoal/api/node";
import { HarnessError } from "./errors.js";
import { DATA_DIR, type ExecOutput } from "./node.js";

/**
 * How the harness talks to a cluster's managers over HTTPS (docs/design/trust.md §6.3): with the trust bundle
 * every node that joined holds, read from a manager node through the target's own way of running commands
 * (docker exec, ssh), and for browsers with the key of the one manager a page is opened on.
 */

/** The trust bundle on a node (the default data dir, as harness, installed and Vagrant nodes use): the roots. */
export const TRUST_BUNDLE = `${DATA_DIR}/certificates/trust.pem`;
/** The admin bundle `cluster init` writes on the first manager: the roots, root's certificate and key. */
export const ADMIN_BUNDLE = {
  ca: `${DATA_DIR}/admin/ca.pem`,
  cert: `${DATA_DIR}/admin/cert.pem`,
  key: `${DATA_DIR}/admin/key.pem`,
};
/** The dashboard access token of the admin user `root`, beside its bundle. */
export const ADMIN_ACCESS_TOKEN = `${DATA_DIR}/admin/access-token`;
/** A manager node's certificate chain, leaf first. */
export const MANAGER_CERT = `${DATA_DIR}/manager/certificates/manager.crt`;

/** A node the harness can read files on. */
export interface FileNode {
  readonly hostname: string;
  readonly exec: (cmd: readonly string[]) => Promise<ExecOutput>;
}

/** A file on a node, read as root; rejects naming the node and the file when it cannot be read. */
async function readOnNode(
  node: FileNode,
  path: string,
  what: string,
  marker = "-----BEGIN CERTIFICATE-----",
): Promise<string> {
  const r = await node.exec(["cat", path]);
  if (r.code !== 0 || !r.stdout.includes(marker))
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: no ${what} in ${path} on ${node.hostname} (did the node join a cluster?): ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  return r.stdout;
}

/** Where `cluster init` wrote the root user's access token (the dashboard's sign-in), on the first manager. */
export const ACCESS_TOKEN = `${DATA_DIR}/admin/access-token`;

/** The root user's access token, read on the manager that initialized the cluster. */
export async function accessTokenOf(node: FileNode): Promise<string> {
  const r = await node.exec(["cat", ACCESS_TOKEN]);
  const token = r.stdout.trim();
  if (r.code !== 0 || !token.startsWith("shoal_at_"))
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: no access token in ${ACCESS_TOKEN} on ${node.hostname} (is it the manager that initialized the cluster?): ${r.stderr.trim() || `exit ${r.code}`}`,
    );
  return token;
}

/** The cluster's trust bundle as `node` holds it. */
export function trustBundleOf(node: FileNode): Promise<string> {
  return readOnNode(node, TRUST_BUNDLE, "trust bundle");
}

/** What the harness calls the API with: the trust bundle, and the admin user's certificate and key (PEM). */
export interface AdminCredentials {
  readonly trust: string;
  readonly cert: string;
  readonly key: string;
}

/** The admin bundle `cluster init` wrote on `node` (the cluster's first manager). */
export async function adminBundleOf(node: FileNode): Promise<AdminCredentials> {
  return {
    trust: await readOnNode(node, ADMIN_BUNDLE.ca, "admin bundle"),
    cert: await readOnNode(node, ADMIN_BUNDLE.cert, "admin certificate"),
    key: await readOnNode(node, ADMIN_BUNDLE.key, "admin key", "PRIVATE KEY-----"),
  };
}

/** The dashboard access token of the admin user on `node` (the cluster's first manager). */
export async function adminAccessTokenOf(node: FileNode): Promise<string> {
  return (await readOnNode(node, ADMIN_ACCESS_TOKEN, "access token", "shoal_at_")).trim();
}

/**
 * A client of the managers over HTTPS as the cluster's admin, with the admin bundle of `node` (the cluster's
 * first manager); it accepts any manager of the cluster. Close it when done.
 */
export async function clusterClient(node: FileNode, o: TrustedClientOptions): Promise<TrustedClient> {
  return trustedClient({ ...o, ...(await adminBundleOf(node)) });
}

/**
 * Chromium flags that accept exactly the key of the manager on `node`, the certificate of a private CA the
 * browser does not know (`--ignore-certificate-errors-spki-list`: base64 of the SHA-256 of its public key).
 */
export async function chromiumTrusting(node: FileNode): Promise<string[]> {
  const chain = await readOnNode(node, MANAGER_CERT, "manager certificate");
  const spki = new X509Certificate(chain).publicKey.export({ type: "spki", format: "der" });
  return [`--ignore-certificate-errors-spki-list=${createHash("sha256").update(spki).digest("base64")}`];
}

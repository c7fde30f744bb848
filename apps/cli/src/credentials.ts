import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { join, resolve } from "node:path";
import { clusterIdsOfRoots, joinPem, splitPemCertificates } from "@shoal/trust";
import { CliError, UsageError } from "./errors.js";

/**
 * The TLS credentials of the CLI (docs/design/trust.md §4.11): which trust bundle, client certificate and key
 * it uses to talk to the managers, found in order in the `--tls-*` flags, `SHOAL_CERT_PATH`, the context file's
 * `tls`, and the node's own trust bundle. Choosing the files is pure; reading them takes a reader.
 */

/** A file the CLI was pointed at, and how (for messages): `--tls-ca`, `SHOAL_CERT_PATH`, `tls.ca of <file>`. */
export interface FileRef {
  readonly path: string;
  readonly via: string;
}

/** The files chosen: a trust bundle, and a client certificate with its key (both or neither). */
export interface TlsFiles {
  readonly ca: FileRef;
  readonly client?: { readonly cert: FileRef; readonly key: FileRef };
}

/** Where the CLI may find its TLS files, in the order they are looked at. */
export interface TlsSources {
  /** `--tls-ca`, `--tls-cert`, `--tls-key`. */
  readonly flags: {
    readonly ca?: string | undefined;
    readonly cert?: string | undefined;
    readonly key?: string | undefined;
  };
  /** `SHOAL_CERT_PATH`: a directory with `ca.pem` and, optionally, `cert.pem` and `key.pem`. */
  readonly certPath?: string | undefined;
  /** The `tls` field of the context file as read (checked here), and the file's path. */
  readonly context?: { readonly file: string; readonly tls: unknown } | undefined;
  /** The data dir: its `context.json`'s relative paths start there, and `certificates/trust.pem` is the default. */
  readonly dataDir: string;
  /** Whether a file exists (optional files of `SHOAL_CERT_PATH`, the node's trust bundle). */
  readonly exists: (path: string) => boolean;
}

/** The node's trust bundle (docs/design/trust.md §4.3), readable by anyone on the node. */
export const nodeTrustBundle = (dataDir: string): string => join(dataDir, "certificates", "trust.pem");

/**
 * Which TLS files to use, or undefined for plain HTTP. The first source present wins whole: the flags (any of
 * them), `SHOAL_CERT_PATH`, the context file's `tls`, then the node's trust bundle if it exists. Flags that give
 * only a client certificate take the trust bundle of the next source. A certificate without its key is refused.
 */
export function chooseTlsFiles(s: TlsSources): TlsFiles | undefined {
  const { ca, cert, key } = s.flags;
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError(
      `${cert === undefined ? "--tls-key needs --tls-cert" : "--tls-cert needs --tls-key"}: a client certificate goes with its private key`,
    );
  const flagClient =
    cert !== undefined && key !== undefined
      ? { cert: { path: cert, via: "--tls-cert" }, key: { path: key, via: "--tls-key" } }
      : undefined;
  if (ca !== undefined) return { ca: { path: ca, via: "--tls-ca" }, ...(flagClient ? { client: flagClient } : {}) };
  const below = certPathFiles(s) ?? contextFiles(s) ?? defaultFiles(s);
  if (!flagClient) return below;
  if (!below)
    throw new UsageError("--tls-cert and --tls-key need a trust bundle: pass --tls-ca FILE (the cluster's ca.pem)");
  return { ca: below.ca, client: flagClient };
}

function certPathFiles(s: TlsSources): TlsFiles | undefined {
  if (!s.certPath) return undefined;
  const ref = (name: string): FileRef => ({ path: join(s.certPath as string, name), via: "SHOAL_CERT_PATH" });
  const cert = ref("cert.pem");
  const key = ref("key.pem");
  const hasCert = s.exists(cert.path);
  if (hasCert !== s.exists(key.path))
    throw new CliError(
      "SHOAL_ERR_CERT_FILES",
      `SHOAL_CERT_PATH=${s.certPath} holds ${hasCert ? "cert.pem without key.pem" : "key.pem without cert.pem"}: a client certificate goes with its private key`,
      "put both in the directory (the admin bundle's cert.pem and key.pem), or neither to use the trust bundle alone",
    );
  return { ca: ref("ca.pem"), ...(hasCert ? { client: { cert, key } } : {}) };
}

function contextFiles(s: TlsSources): TlsFiles | undefined {
  const tls = s.context?.tls;
  if (tls === undefined || s.context === undefined) return undefined;
  const { file } = s.context;
  const bad = (what: string) =>
    new CliError(
      "SHOAL_ERR_CERT_FILES",
      `${file}: ${what}`,
      'the tls field reads {"ca": PATH, "cert": PATH, "key": PATH}, cert and key optional but together',
    );
  if (typeof tls !== "object" || tls === null) throw bad("tls must be an object of paths");
  const { ca, cert, key } = tls as Record<string, unknown>;
  const path = (name: string, v: unknown): FileRef | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw bad(`tls.${name} must be a path`);
    return { path: resolve(s.dataDir, v), via: `tls.${name} of ${file}` };
  };
  const caRef = path("ca", ca);
  const certRef = path("cert", cert);
  const keyRef = path("key", key);
  if (!caRef) throw bad("tls.ca is missing: the trust bundle is required");
  if ((certRef === undefined) !== (keyRef === undefined))
    throw bad(`tls.${certRef ? "cert" : "key"} is given without tls.${certRef ? "key" : "cert"}`);
  return { ca: caRef, ...(certRef && keyRef ? { client: { cert: certRef, key: keyRef } } : {}) };
}

function defaultFiles(s: TlsSources): TlsFiles | undefined {
  const trust = nodeTrustBundle(s.dataDir);
  return s.exists(trust) ? { ca: { path: trust, via: "the node's trust bundle" } } : undefined;
}

/**
 * What the CLI talks TLS with: options of `createTlsFetch` but `expect`, and the clusters the roots name (the
 * managers must be managers of one of them: `anyManagerOfClusters`).
 */
export interface CliCredentials {
  /** The trust bundle's certificates, PEM. */
  readonly trust: string;
  /** The client's chain, leaf first, and its key, PEM. */
  readonly cert?: string;
  readonly key?: string;
  /** The cluster ids the bundle's roots name (their subject's `O`), in order, without repeats. */
  readonly clusterIds: readonly string[];
}

const TRUST_HINT =
  "give the cluster's trust bundle: the ca.pem of the admin bundle `shoal cluster init` wrote in <data-dir>/admin, or a node's <data-dir>/certificates/trust.pem";
const CLIENT_HINT =
  "give the certificate and key the cluster issued together (the admin bundle's cert.pem and key.pem)";

/**
 * Reads and checks the chosen files: the bundle must hold a certificate naming a cluster, the client
 * certificate must be one and its key must be its private key. Throws a CliError (SHOAL_ERR_CERT_FILES) naming
 * the file and how it was given.
 */
export function loadCredentials(files: TlsFiles, read: (path: string) => string): CliCredentials {
  const roots = certificates(files.ca, read, "trust bundle", TRUST_HINT);
  const clusterIds = clusterIdsOfRoots(roots.map((r) => r.x509));
  if (clusterIds.length === 0)
    throw filesError(
      files.ca,
      "trust bundle",
      "names no cluster: no certificate in it has one O (the cluster id)",
      TRUST_HINT,
    );
  const trust = joinPem(roots.map((r) => r.pem));
  if (!files.client) return { trust, clusterIds };
  const chain = certificates(files.client.cert, read, "client certificate", CLIENT_HINT);
  const key = readOrFail(files.client.key, read, "private key", CLIENT_HINT);
  const leaf = (chain[0] as { x509: X509Certificate }).x509;
  let matches: boolean;
  try {
    const spki = (k: ReturnType<typeof createPublicKey>) => k.export({ format: "der", type: "spki" });
    matches = spki(createPublicKey(createPrivateKey(key))).equals(spki(leaf.publicKey));
  } catch (e) {
    throw filesError(files.client.key, "private key", "holds no PEM private key", CLIENT_HINT, e);
  }
  if (!matches)
    throw filesError(
      files.client.key,
      "private key",
      `is not the key of the certificate in ${files.client.cert.path}`,
      CLIENT_HINT,
    );
  return { trust, cert: joinPem(chain.map((c) => c.pem)), key, clusterIds };
}

function filesError(ref: FileRef, what: string, problem: string, hint: string, cause?: unknown): CliError {
  return new CliError(
    "SHOAL_ERR_CERT_FILES",
    `the ${what} ${ref.path} (${ref.via}) ${problem}`,
    hint,
    cause === undefined ? undefined : { cause },
  );
}

function readOrFail(ref: FileRef, read: (path: string) => string, what: string, hint: string): string {
  try {
    return read(ref.path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const why =
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : code === "EISDIR"
            ? "it is a directory"
            : (e as Error).message;
    throw filesError(ref, what, `cannot be read (${why})`, hint, e);
  }
}

/**
 * The certificates of a PEM file, at least one, or it throws. A malformed block is skipped in a trust bundle
 * (the other roots still serve) and refused in a chain (its leaf must be the first block).
 */
function certificates(
  ref: FileRef,
  read: (path: string) => string,
  what: "trust bundle" | "client certificate",
  hint: string,
): { pem: string; x509: X509Certificate }[] {
  const out = splitPemCertificates(readOrFail(ref, read, what, hint)).flatMap((pem) => {
    try {
      return [{ pem, x509: new X509Certificate(pem) }];
    } catch (e) {
      if (what === "trust bundle") return [];
      throw filesError(ref, what, "holds a malformed PEM certificate", hint, e);
    }
  });
  if (out.length === 0) throw filesError(ref, what, "holds no PEM certificate", hint);
  return out;
}

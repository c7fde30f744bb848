import { createPrivateKey, createPublicKey, type X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { syncDir, writeFileDurably } from "@shoal/common";
import { CertificateFilesError } from "./errors.js";
import { joinPem, parseCertificates, splitPemCertificates } from "./pem.js";

/**
 * The certificate files of a node (docs/design/trust.md §4.3). Every write is atomic and durable (temp file,
 * fsync, rename, fsync of the directory); certificates and bundles are 0644, keys 0600, the admin bundle's
 * directory 0700 and its files 0600.
 */

/** Where a certificate chain and its key live. */
export interface CertificateFiles {
  /** The chain, leaf first (0644). */
  readonly cert: string;
  /** The private key, PKCS#8 PEM (0600). */
  readonly key: string;
}

/** The certificate paths under a node's data dir. */
export interface CertificatePaths {
  /** The trust bundle: the roots (during a rotation, old and new). */
  readonly trust: string;
  readonly agent: CertificateFiles;
  readonly manager: CertificateFiles;
  /** `cluster init`'s bundle for a remote CLI (directory 0700). */
  readonly admin: UserBundlePaths;
}

/**
 * The files of a user's bundle (`cluster init`'s admin bundle, `cluster user create`'s): the directory
 * `SHOAL_CERT_PATH` names, with the trust bundle, the user's chain and key, and its dashboard access token.
 */
export interface UserBundlePaths extends CertificateFiles {
  readonly dir: string;
  readonly ca: string;
  readonly accessToken: string;
}

/** The files of a user's bundle in `dir`: `ca.pem`, `cert.pem`, `key.pem` and `access-token`. */
export function userBundlePaths(dir: string): UserBundlePaths {
  return {
    dir,
    ca: join(dir, "ca.pem"),
    cert: join(dir, "cert.pem"),
    key: join(dir, "key.pem"),
    accessToken: join(dir, "access-token"),
  };
}

/** The paths of §4.3 under `dataDir`. */
export function certificatePaths(dataDir: string): CertificatePaths {
  const certs = join(dataDir, "certificates");
  const manager = join(dataDir, "manager", "certificates");
  return {
    trust: join(certs, "trust.pem"),
    agent: { cert: join(certs, "agent.crt"), key: join(certs, "agent.key") },
    manager: { cert: join(manager, "manager.crt"), key: join(manager, "manager.key") },
    admin: userBundlePaths(join(dataDir, "admin")),
  };
}

/** Mode of certificate and bundle files. */
export const CERT_FILE_MODE = 0o644;
/** Mode of key files and of the admin bundle's files. */
export const KEY_FILE_MODE = 0o600;

/** Writes `text` to `file` atomically and durably with exactly `mode` (the umask may not widen or narrow it). */
async function writeExact(file: string, text: string, mode: number): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o755 });
  await writeFileDurably(file, text, mode);
  await chmod(file, mode);
}

/** Writes the trust bundle (0644). */
export async function writeTrustBundle(file: string, roots: readonly string[]): Promise<void> {
  if (roots.length === 0) throw new CertificateFilesError(file, "a trust bundle needs at least one root");
  await writeExact(file, joinPem(roots), CERT_FILE_MODE);
}

/** Reads a trust bundle: its certificates, in order. */
export async function readTrustBundle(file: string): Promise<X509Certificate[]> {
  const certs = parseOrFail(file, await readOrFail(file));
  if (certs.length === 0) throw new CertificateFilesError(file, "holds no certificate");
  return certs;
}

/** The file a new key waits in until its certificate is written (see {@link writeCertificateFiles}). */
const pendingKey = (files: CertificateFiles) => `${files.key}.next`;

/**
 * Writes a chain (0644) and its key (0600). The key goes first to `<key>.next`, then the chain replaces the
 * old one, then the key is renamed into place: a crash in between leaves the old pair, or the new chain with its
 * key in `.next`, which {@link readCertificateFiles} completes. Never a chain with a key that does not match.
 */
export async function writeCertificateFiles(
  files: CertificateFiles,
  chain: readonly string[],
  key: string,
): Promise<void> {
  if (chain.length === 0)
    throw new CertificateFilesError(files.cert, "a certificate chain needs at least one certificate");
  await mkdir(dirname(files.key), { recursive: true, mode: 0o755 });
  await writeExact(pendingKey(files), key, KEY_FILE_MODE);
  await writeExact(files.cert, joinPem(chain), CERT_FILE_MODE);
  await rename(pendingKey(files), files.key);
  await syncDir(dirname(files.key));
}

/** A chain and its key as read from disk. */
export interface LoadedCertificate {
  /** PEM blocks, leaf first. */
  readonly chain: readonly string[];
  readonly key: string;
  /** The chain parsed, leaf first. */
  readonly certificates: readonly X509Certificate[];
}

/**
 * Reads a chain and its key and checks that the key belongs to the leaf. Completes an interrupted
 * {@link writeCertificateFiles} (the new key still in `.next`). Throws a CertificateFilesError naming the file.
 */
export async function readCertificateFiles(files: CertificateFiles): Promise<LoadedCertificate> {
  const text = await readOrFail(files.cert);
  const certificates = parseOrFail(files.cert, text);
  const leaf = certificates[0];
  if (!leaf) throw new CertificateFilesError(files.cert, "holds no certificate");
  const leafKey = leaf.publicKey.export({ format: "der", type: "spki" });
  const matches = (pem: string) => {
    try {
      return createPublicKey(createPrivateKey(pem)).export({ format: "der", type: "spki" }).equals(leafKey);
    } catch {
      return false;
    }
  };
  let key = await readFile(files.key, "utf8").catch(() => undefined);
  if (key === undefined || !matches(key)) {
    const next = await readFile(pendingKey(files), "utf8").catch(() => undefined);
    if (next !== undefined && matches(next)) {
      await rename(pendingKey(files), files.key);
      await syncDir(dirname(files.key));
      key = next;
    } else if (key === undefined) {
      throw new CertificateFilesError(files.key, "is missing or unreadable");
    } else {
      throw new CertificateFilesError(files.key, `is not the private key of the certificate in ${files.cert}`);
    }
  } else {
    await rm(pendingKey(files), { force: true });
  }
  return { chain: splitPemCertificates(text), key, certificates };
}

/**
 * Writes a user's bundle (`cluster init`'s admin bundle, `cluster user create`'s): the roots, the user's chain and
 * key, and the dashboard access token when given, in a 0700 directory, files 0600.
 */
export async function writeAdminBundle(
  admin: Omit<UserBundlePaths, "accessToken"> & { readonly accessToken?: string },
  bundle: {
    readonly roots: readonly string[];
    readonly chain: readonly string[];
    readonly key: string;
    readonly accessToken?: string;
  },
): Promise<void> {
  await mkdir(admin.dir, { recursive: true, mode: 0o700 });
  await chmod(admin.dir, 0o700);
  await writeExact(admin.ca, joinPem(bundle.roots), KEY_FILE_MODE);
  await writeExact(admin.cert, joinPem(bundle.chain), KEY_FILE_MODE);
  await writeExact(admin.key, bundle.key, KEY_FILE_MODE);
  if (bundle.accessToken !== undefined && admin.accessToken !== undefined)
    await writeExact(admin.accessToken, `${bundle.accessToken}\n`, KEY_FILE_MODE);
}

async function readOrFail(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new CertificateFilesError(file, "is missing or unreadable", { cause: err });
  }
}

function parseOrFail(file: string, text: string): X509Certificate[] {
  try {
    return parseCertificates(text);
  } catch (err) {
    throw new CertificateFilesError(file, "holds a malformed PEM certificate", { cause: err });
  }
}

import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CertificateFilesError } from "./errors.js";
import {
  certificatePaths,
  readCertificateFiles,
  readTrustBundle,
  writeAdminBundle,
  writeCertificateFiles,
  writeTrustBundle,
} from "./files.js";
import { testCa } from "./testing/index.js";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-trust-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = async (p: string) => (await stat(p)).mode & 0o777;

test("certificate files: paths of §4.3, modes 0644/0600, read back with the key checked", async (t) => {
  const dir = await tempDir(t);
  const ca = await testCa();
  const agent = await ca.agent("n1");
  const manager = await ca.manager("n1");
  const paths = certificatePaths(dir);
  assert.equal(paths.trust, join(dir, "certificates/trust.pem"));
  assert.equal(paths.manager.key, join(dir, "manager/certificates/manager.key"));
  const oldUmask = process.umask(0o077); // files must get their modes whatever the umask
  try {
    await writeTrustBundle(paths.trust, ca.trust);
    await writeCertificateFiles(paths.agent, agent.chain, agent.key);
    await writeCertificateFiles(paths.manager, manager.chain, manager.key);
  } finally {
    process.umask(oldUmask);
  }
  assert.equal(await mode(paths.trust), 0o644);
  assert.equal(await mode(paths.agent.cert), 0o644);
  assert.equal(await mode(paths.agent.key), 0o600);
  assert.equal(await mode(paths.manager.key), 0o600);
  const trust = await readTrustBundle(paths.trust);
  assert.equal(trust.length, 1);
  const read = await readCertificateFiles(paths.agent);
  assert.deepEqual(read.chain, agent.chain);
  assert.equal(read.key, agent.key);
  assert.equal(read.certificates[0]!.serialNumber, agent.serial);
});

test("a key that does not match its certificate is refused; an interrupted write is completed", async (t) => {
  const dir = await tempDir(t);
  const ca = await testCa();
  const a = await ca.agent("n1");
  const b = await ca.agent("n1");
  const files = certificatePaths(dir).agent;
  await writeCertificateFiles(files, a.chain, a.key);
  // A crash after the new chain was written, before the new key was renamed into place.
  await writeFile(`${files.key}.next`, b.key, { mode: 0o600 });
  await writeFile(files.cert, b.chain.join(""));
  const read = await readCertificateFiles(files);
  assert.equal(read.key, b.key);
  assert.equal(await readFile(files.key, "utf8"), b.key);
  await assert.rejects(stat(`${files.key}.next`));
  // No pending key: a mismatch is an error naming the key file.
  await writeFile(files.key, a.key);
  await assert.rejects(
    readCertificateFiles(files),
    (e) => e instanceof CertificateFilesError && e.file === files.key && /not the private key/.test(e.message),
  );
  await rm(files.cert);
  await assert.rejects(
    readCertificateFiles(files),
    (e) => e instanceof CertificateFilesError && e.file === files.cert && e.code === "SHOAL_ERR_CERT_FILES",
  );
});

test("the admin bundle: directory 0700, files 0600", async (t) => {
  const dir = await tempDir(t);
  const ca = await testCa();
  const user = await ca.user("root");
  const { admin } = certificatePaths(dir);
  await writeAdminBundle(admin, { roots: ca.trust, chain: user.chain, key: user.key });
  assert.equal(await mode(admin.dir), 0o700);
  for (const f of [admin.ca, admin.cert, admin.key]) assert.equal(await mode(f), 0o600, f);
  assert.equal(await readFile(admin.key, "utf8"), user.key);
});

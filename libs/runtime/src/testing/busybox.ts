import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Finds the repository root: the nearest directory above this module holding the busybox image build script. */
async function repoRoot(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (await fs.stat(path.join(dir, "infra", "images", "build-busybox.mjs")).then(() => true, () => false)) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error("runtime: cannot find infra/images/build-busybox.mjs above the runtime package; run from a checkout of the repository");
    dir = up;
  }
}

/**
 * The path of the busybox OCI image tarball (`infra/images/out/busybox-oci.tar`), built with
 * `infra/images/build-busybox.mjs` when missing. Safe when several test processes call it at once: each builds to
 * its own temp path and renames it into place.
 */
export async function ensureBusyboxTarball(): Promise<string> {
  const root = await repoRoot();
  const out = path.join(root, "infra", "images", "out", "busybox-oci.tar");
  if (await fs.stat(out).then(() => true, () => false)) return out;
  await fs.mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.build-${process.pid}-${randomUUID()}`;
  try {
    await run(process.execPath, [path.join(root, "infra", "images", "build-busybox.mjs"), "--out", tmp], { cwd: root });
    await fs.rename(tmp, out);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return out;
}

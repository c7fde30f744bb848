import { execFile } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The image every node container runs: empty dirs, filled by bind mounts of the host's system dirs. */
export const NODE_IMAGE = "shoal-harness-node:1";

/** The host's system dirs a node sees read-only, and those that are symlinks (a merged /usr) to copy as such. */
export interface SystemDirs {
  readonly binds: readonly string[];
  readonly links: readonly (readonly [name: string, target: string])[];
}

/** Splits the host's system dirs into bind mounts and symlinks, as they are on this host. */
export function hostSystemDirs(): SystemDirs {
  const binds: string[] = [];
  const links: [string, string][] = [];
  for (const d of ["usr", "lib", "lib32", "lib64", "libx32", "bin", "sbin", "etc"]) {
    const p = `/${d}`;
    if (!existsSync(p)) continue;
    if (lstatSync(p).isSymbolicLink()) links.push([d, readlinkSync(p)]);
    else binds.push(p);
  }
  return { binds, links };
}

/** Dirs that must exist in the image as mount points or for the daemons to write in. */
const IMAGE_DIRS = [
  "proc",
  "sys",
  "dev",
  "run",
  "tmp",
  "var/lib",
  "var/log",
  "var/tmp",
  "root",
  "mnt",
  "opt",
  "srv",
  "home",
];

/**
 * Makes sure the image `tag` exists: otherwise `fill` writes a root file system into a temp dir, which
 * `docker import` turns into the image (no registry is reachable here). Idempotent; safe to call from several
 * test files since the import is atomic per tag. The temp dir is removed either way.
 */
export async function ensureImportedImage(tag: string, fill: (root: string) => Promise<void>): Promise<string> {
  try {
    await run("docker", ["image", "inspect", tag]);
    return tag;
  } catch {
    // build it below
  }
  const dir = mkdtempSync(join(tmpdir(), "shoal-harness-image-"));
  try {
    const root = join(dir, "root");
    await fill(root);
    const tar = join(dir, "rootfs.tar");
    await run("tar", ["-C", root, "--numeric-owner", "-cf", tar, "."], { maxBuffer: 64 << 20 });
    await run("docker", [
      "import",
      "--change",
      "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      tar,
      tag,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return tag;
}

/** Makes sure {@link NODE_IMAGE} exists, built of empty dirs and the host's symlinks. */
export function ensureNodeImage(): Promise<string> {
  return ensureImportedImage(NODE_IMAGE, (root) => {
    const { binds, links } = hostSystemDirs();
    for (const d of [...IMAGE_DIRS, ...binds.map((b) => b.slice(1))]) mkdirSync(join(root, d), { recursive: true });
    for (const [name, target] of links) symlinkSync(target, join(root, name));
    return Promise.resolve();
  });
}

import { lstat, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { StorageError } from "../errors.js";

/**
 * The overlayfs mount options for a rootfs: `lowerDirs` are the image layers, bottom first (overlayfs wants them
 * top first, so they are reversed here); `upperDir` and `workDir` are the container's own, on one filesystem.
 * The shim mounts it (one mount(2) call) just before runc starts the container.
 */
export function overlayOptions(lowerDirs: readonly string[], upperDir: string, workDir: string): string {
  if (lowerDirs.length === 0)
    throw new StorageError("runtime: an image needs at least one layer to make a root filesystem");
  const options = `lowerdir=${[...lowerDirs].reverse().join(":")},upperdir=${upperDir},workdir=${workDir}`;
  // The mount(2) data is one page: long layer paths times many layers may not fit.
  if (options.length > 4000) {
    throw new StorageError(
      `runtime: ${lowerDirs.length} layers make overlay mount options of ${options.length} bytes (limit 4096); flatten the image`,
    );
  }
  return options;
}

/**
 * Reads `relPath` (like `etc/passwd`) as the image's merged filesystem would show it, straight from the layer
 * dirs (bottom first) without mounting: the topmost layer that has it wins; a whiteout (character device) or
 * an opaque parent directory above hides lower copies. Undefined when the file is absent.
 */
export async function readFromLayers(layerDirs: readonly string[], relPath: string): Promise<string | undefined> {
  const parent = dirname(relPath);
  for (let i = layerDirs.length - 1; i >= 0; i--) {
    const path = join(layerDirs[i] ?? "", relPath);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isFile()) return readFile(path, "utf8");
    if (st) return undefined; // a whiteout, or not a regular file
    const parentDir = join(layerDirs[i] ?? "", parent);
    if (parent !== "." && (await lstat(parentDir).catch(() => undefined))?.isDirectory() && (await isOpaque(parentDir)))
      return undefined;
  }
  return undefined;
}

/**
 * Creates, in a not yet mounted upper dir, the files runc bind-mounts over (`/etc/hosts`, `/etc/hostname`,
 * `/etc/resolv.conf`, the init), so runc need not create them in the mounted overlay, where each would copy up
 * its directory on the start's critical path. Only where the image's `/etc` is a real directory (an upper
 * `etc` dir would hide an `etc` symlink).
 */
export async function prepareMountPoints(
  layerDirs: readonly string[],
  upperDir: string,
  files: readonly string[],
): Promise<void> {
  let etcIsDir = false;
  for (let i = layerDirs.length - 1; i >= 0; i--) {
    const st = await lstat(join(layerDirs[i] ?? "", "etc")).catch(() => undefined);
    if (st) {
      etcIsDir = st.isDirectory();
      break;
    }
  }
  for (const f of files) {
    const rel = f.replace(/^\/+/, "");
    if (rel.startsWith("etc/") && !etcIsDir) continue;
    if (rel.includes("/")) await mkdir(join(upperDir, dirname(rel)), { recursive: true });
    await writeFile(join(upperDir, rel), "", { flag: "a" });
  }
}

async function isOpaque(dir: string): Promise<boolean> {
  const r = await execa("getfattr", ["--only-values", "-n", "trusted.overlay.opaque", dir], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() === "y";
}

/** Unmounts `target` if it is a mount point; a lazy unmount when it is busy. */
export async function unmount(target: string): Promise<void> {
  if (!(await isMountPoint(target))) return;
  const r = await execa("umount", [target], { reject: false });
  if (r.exitCode === 0) return;
  const lazy = await execa("umount", ["-l", target], { reject: false });
  if (lazy.exitCode !== 0) throw new StorageError(`runtime: unmounting ${target} failed: ${lazy.stderr.trim()}`);
}

/** The mount points of this mount namespace (from /proc/self/mountinfo), with octal escapes decoded. */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return new Set(parseMountPoints(text));
}

/** Whether `path` is a mount point. */
export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
}

/** Pure: the mount point column of mountinfo text. */
export function parseMountPoints(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field) out.push(field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

import { readFile } from "node:fs/promises";
import { execa } from "execa";
import { StorageError } from "../errors.js";

/**
 * Mounts an overlayfs at `target`: `lowerDirs` are the image layers, bottom first (overlayfs wants them top
 * first, so they are reversed here), `upperDir` and `workDir` the container's own, on the same filesystem.
 */
export async function mountOverlay(target: string, lowerDirs: readonly string[], upperDir: string, workDir: string): Promise<void> {
  if (lowerDirs.length === 0) throw new StorageError("runtime: an image needs at least one layer to make a root filesystem");
  const options = `lowerdir=${[...lowerDirs].reverse().join(":")},upperdir=${upperDir},workdir=${workDir}`;
  // The mount(2) data is one page: long layer paths times many layers may not fit.
  if (options.length > 4000) {
    throw new StorageError(`runtime: ${lowerDirs.length} layers make overlay mount options of ${options.length} bytes (limit 4096); flatten the image`);
  }
  const r = await execa("mount", ["-t", "overlay", "overlay", "-o", options, target], { reject: false });
  if (r.exitCode !== 0) throw new StorageError(`runtime: mounting the root filesystem at ${target} failed: ${r.stderr.trim()}`);
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

import { existsSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";

/**
 * Removes a cgroup parent (`shoal`, `shoal/node1`) and everything below it, deepest first, from every cgroup v1
 * controller and the v2 hierarchy under `root`. A directory that still holds processes stays (the kernel
 * refuses to remove it); the ones left are returned. For a node leaving the cluster once its containers are
 * gone, and for tests.
 */
export function removeCgroupParent(parent: string, root = "/sys/fs/cgroup"): string[] {
  if (!existsSync(root)) return [];
  const left: string[] = [];
  for (const base of [root, ...readdirSync(root).map((c) => join(root, c))]) {
    const dir = join(base, parent);
    if (existsSync(join(dir, "cgroup.procs"))) removeTree(dir, left);
  }
  return left;
}

function removeTree(dir: string, left: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeTree(join(dir, e.name), left);
  try {
    rmdirSync(dir);
  } catch {
    left.push(dir);
  }
}

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { HARNESS_LABEL } from "./docker.js";

/** Prefix of the cgroup parents the harness gives its nodes (under each controller of the host). */
export const CGROUP_PREFIX = "shoal-harness-";
const CGROUP_ROOT = "/sys/fs/cgroup";

function docker(args: string[]): string {
  try {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}

const ids = (out: string): string[] =>
  out
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/**
 * Removes every container, network and volume labelled by the harness for `cluster` (every cluster when
 * omitted), then the node cgroups they left under the host's hierarchy. Synchronous so that it also runs from
 * a process `exit` hook; best effort, each step independent of the others.
 */
export function removeHarnessResources(cluster?: string): void {
  const filter = `label=${HARNESS_LABEL}${cluster === undefined ? "" : `=${cluster}`}`;
  const containers = ids(docker(["ps", "-aq", "--filter", filter]));
  // A paused container must be resumed before its processes can be killed.
  for (const id of ids(docker(["ps", "-q", "--filter", filter, "--filter", "status=paused"]))) docker(["unpause", id]);
  if (containers.length) docker(["rm", "-f", "-v", ...containers]);
  const networks = ids(docker(["network", "ls", "-q", "--filter", filter]));
  if (networks.length) docker(["network", "rm", ...networks]);
  const volumes = ids(docker(["volume", "ls", "-q", "--filter", filter]));
  if (volumes.length) docker(["volume", "rm", "-f", ...volumes]);
  removeNodeCgroups(cluster === undefined ? CGROUP_PREFIX : `${CGROUP_PREFIX}${cluster}-`);
}

/** Removes the cgroups named `prefix*` under every controller (children first; their tasks are gone). */
export function removeNodeCgroups(prefix: string): void {
  if (!existsSync(CGROUP_ROOT)) return;
  for (const ctl of readdirSync(CGROUP_ROOT)) {
    const dir = join(CGROUP_ROOT, ctl);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith(prefix)) removeCgroupTree(join(dir, n));
  }
}

function removeCgroupTree(dir: string): void {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
    rmdirSync(dir);
  } catch {
    // best effort: a cgroup whose tasks still exit is left for the next cleanup
  }
}

import { InvalidSpecError } from "../errors.js";

/**
 * Where this host mounts its cgroup controllers. Version 1 (also on "hybrid" hosts, whose cgroup v2 hierarchy
 * holds no controllers that matter) maps each controller to its own mountpoint; version 2 maps every controller
 * of the unified hierarchy to the one mountpoint.
 */
export interface CgroupLayout {
  version: 1 | 2;
  /** Controller name (`memory`, `cpuacct`, `pids`, ...) -> mountpoint of its hierarchy. */
  controllers: Record<string, string>;
}

/** The cgroup mounts found in a mountinfo table, before deciding the version. */
export interface CgroupMounts {
  /** v1 controller -> mountpoint (a joint `cpu,cpuacct` mount appears under both names). */
  v1: Record<string, string>;
  /** Mountpoint of the cgroup v2 hierarchy, when one is mounted. */
  unified?: string;
}

const V1_CONTROLLERS = new Set([
  "blkio",
  "cpu",
  "cpuacct",
  "cpuset",
  "devices",
  "freezer",
  "hugetlb",
  "memory",
  "misc",
  "net_cls",
  "net_prio",
  "perf_event",
  "pids",
  "rdma",
]);

/** Decodes the octal escapes (`\040` for a space) the kernel writes in mountinfo paths. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Finds the cgroup mounts in the text of `/proc/self/mountinfo`. When a hierarchy is mounted more than once,
 * a mount of its root (`/`) wins over a mount of a subtree.
 */
export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const v1: Record<string, string> = {};
  const v1Root = new Set<string>();
  let unified: string | undefined;
  for (const line of mountinfo.split("\n")) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const [fstype, , superOptions = ""] = line.slice(sep + 3).split(" ");
    const root = left[3];
    const mountpoint = left[4];
    if (root === undefined || mountpoint === undefined) continue;
    const isRoot = root === "/";
    if (fstype === "cgroup2") {
      if (unified === undefined || isRoot) unified = unescapeMountPath(mountpoint);
    } else if (fstype === "cgroup") {
      for (const opt of superOptions.split(",")) {
        if (!V1_CONTROLLERS.has(opt)) continue;
        if (v1[opt] !== undefined && (v1Root.has(opt) || !isRoot)) continue;
        v1[opt] = unescapeMountPath(mountpoint);
        if (isRoot) v1Root.add(opt);
      }
    }
  }
  return unified === undefined ? { v1 } : { v1, unified };
}

/**
 * Decides the layout from the mounts and the text of the unified hierarchy's `cgroup.controllers` (absent
 * when there is no such file). It is version 2 only when the unified hierarchy has controllers and no v1
 * controller hierarchy is mounted; a hybrid host is version 1. Returns `undefined` when neither is usable.
 */
export function cgroupLayoutFrom(
  mounts: CgroupMounts,
  unifiedControllers: string | undefined,
): CgroupLayout | undefined {
  const v2Names = (unifiedControllers ?? "").split(/\s+/).filter((s) => s !== "");
  if (mounts.unified !== undefined && v2Names.length > 0 && Object.keys(mounts.v1).length === 0) {
    const controllers: Record<string, string> = {};
    // cpu.stat exists in every v2 cgroup, whether or not the cpu controller is enabled.
    for (const name of ["cpu", ...v2Names]) controllers[name] = mounts.unified;
    return { version: 2, controllers };
  }
  if (Object.keys(mounts.v1).length > 0) return { version: 1, controllers: { ...mounts.v1 } };
  return undefined;
}

/**
 * The directory of the cgroup at `cgroupsPath` (runc's `linux.cgroupsPath`, e.g. `/shoal/<id>`) in each
 * controller's hierarchy: `<mountpoint>/shoal/<id>`.
 *
 * @throws InvalidSpecError when the path is not absolute or has `.`/`..` segments.
 */
export function cgroupDirs(layout: CgroupLayout, cgroupsPath: string): Record<string, string> {
  const segments = cgroupsPath.split("/").slice(1);
  if (!cgroupsPath.startsWith("/") || segments.some((s) => s === "" || s === "." || s === "..")) {
    throw new InvalidSpecError(
      "linux.cgroupsPath",
      `${JSON.stringify(cgroupsPath)} must be an absolute path without empty, "." or ".." segments, e.g. "/shoal/<id>"`,
    );
  }
  const dirs: Record<string, string> = {};
  for (const [name, mountpoint] of Object.entries(layout.controllers)) {
    dirs[name] = `${mountpoint.replace(/\/+$/, "")}${cgroupsPath}`;
  }
  return dirs;
}

import { access, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { CgroupError } from "../errors.js";
import type { ContainerStats } from "../types.js";
import { cgroupDirs, cgroupLayoutFrom, parseCgroupMounts, type CgroupLayout } from "./cgroup-layout.js";
import {
  parseCounter,
  parseV1CpuUsage,
  parseV1MemoryLimit,
  parseV1MemoryUsage,
  parseV1OomKillCount,
  parseV2CpuUsage,
  parseV2MemoryLimit,
  parseV2MemoryUsage,
  parseV2OomKillCount,
} from "./cgroup-parsers.js";

/**
 * Reads this host's cgroup layout from `/proc/self/mountinfo` (and the unified hierarchy's
 * `cgroup.controllers`).
 *
 * @throws CgroupError when no cgroup hierarchy with controllers is mounted.
 */
export async function detectCgroupLayout(mountinfoPath = "/proc/self/mountinfo"): Promise<CgroupLayout> {
  const mounts = parseCgroupMounts(await readFile(mountinfoPath, "utf8"));
  const unifiedControllers =
    mounts.unified === undefined ? undefined : await readOptional(join(mounts.unified, "cgroup.controllers"));
  const layout = cgroupLayoutFrom(mounts, unifiedControllers);
  if (layout === undefined) {
    throw new CgroupError(
      "/sys/fs/cgroup",
      "runtime: no cgroup v1 controllers and no cgroup v2 hierarchy with controllers are mounted; mount cgroupfs at /sys/fs/cgroup",
    );
  }
  return layout;
}

/**
 * Reads a container's resource usage from its cgroup at `cgroupsPath` (runc's `linux.cgroupsPath`).
 * `hostMemoryBytes` is reported as the limit when there is none (pass `os.totalmem()`). Pids read 0 when the
 * host has no pids controller.
 *
 * @throws CgroupError when the cgroup does not exist (the container is not running) or a file is unreadable.
 */
export async function readContainerStats(
  layout: CgroupLayout,
  cgroupsPath: string,
  hostMemoryBytes: number,
  now: () => Date = () => new Date(),
): Promise<ContainerStats> {
  const dirs = cgroupDirs(layout, cgroupsPath);
  const memory = required(dirs, "memory");
  const pidsDir = dirs["pids"];
  const pids =
    pidsDir === undefined
      ? Promise.resolve(0)
      : read(pidsDir, "pids.current").then((t) => parseCounter(t, "pids.current"));
  if (layout.version === 1) {
    const [cpuUsageNs, usage, stat, limit, pidCount] = await Promise.all([
      read(required(dirs, "cpuacct"), "cpuacct.usage").then(parseV1CpuUsage),
      read(memory, "memory.usage_in_bytes"),
      read(memory, "memory.stat"),
      read(memory, "memory.limit_in_bytes"),
      pids,
    ]);
    return {
      cpuUsageNs,
      memoryUsageBytes: parseV1MemoryUsage(usage, stat),
      memoryLimitBytes: parseV1MemoryLimit(limit, hostMemoryBytes),
      pids: pidCount,
      read: now().toISOString(),
    };
  }
  const [cpuUsageNs, current, stat, max, pidCount] = await Promise.all([
    read(required(dirs, "cpu"), "cpu.stat").then(parseV2CpuUsage),
    read(memory, "memory.current"),
    read(memory, "memory.stat"),
    read(memory, "memory.max"),
    pids,
  ]);
  return {
    cpuUsageNs,
    memoryUsageBytes: parseV2MemoryUsage(current, stat),
    memoryLimitBytes: parseV2MemoryLimit(max, hostMemoryBytes),
    pids: pidCount,
    read: now().toISOString(),
  };
}

/**
 * How many times the kernel's OOM killer killed a process in the container's cgroup; 0 when the kernel does not
 * report it.
 *
 * @throws CgroupError when the cgroup does not exist.
 */
export async function readOomKillCount(layout: CgroupLayout, cgroupsPath: string): Promise<number> {
  const memory = required(cgroupDirs(layout, cgroupsPath), "memory");
  return layout.version === 1
    ? parseV1OomKillCount(await read(memory, "memory.oom_control"))
    : parseV2OomKillCount(await read(memory, "memory.events"));
}

/**
 * Whether the kernel accounts swap per cgroup, so that a memory+swap limit can be set: on v1 when
 * `memory.memsw.limit_in_bytes` exists, on v2 when `memory.swap.max` exists (looked for in this process's
 * cgroup and the top-level cgroups, since the root cgroup has none).
 */
export async function hostSupportsSwapAccounting(layout: CgroupLayout): Promise<boolean> {
  const memory = layout.controllers["memory"];
  if (memory === undefined) return false;
  if (layout.version === 1) return exists(join(memory, "memory.memsw.limit_in_bytes"));
  const candidates: string[] = [];
  const self = /^0::(\/.*)$/m.exec((await readOptional("/proc/self/cgroup")) ?? "")?.[1];
  if (self !== undefined && self !== "/") candidates.push(join(memory, self));
  const children = await readdir(memory, { withFileTypes: true }).catch(() => []);
  for (const child of children) if (child.isDirectory()) candidates.push(join(memory, child.name));
  for (const dir of candidates) if (await exists(join(dir, "memory.swap.max"))) return true;
  return false;
}

function required(dirs: Record<string, string>, controller: string): string {
  const dir = dirs[controller];
  if (dir === undefined) {
    throw new CgroupError(
      controller,
      `runtime: the ${controller} cgroup controller is not mounted on this host; enable it to read container stats`,
    );
  }
  return dir;
}

async function read(dir: string, file: string): Promise<string> {
  const path = join(dir, file);
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new CgroupError(
      path,
      missing
        ? `runtime: ${path} does not exist: the container's cgroup is gone (is the container running?)`
        : `runtime: cannot read ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, "utf8").catch(() => undefined);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

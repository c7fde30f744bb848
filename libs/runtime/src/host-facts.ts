import { readFile } from "node:fs/promises";
import { availableParallelism, totalmem } from "node:os";
import { maxNofileFromProc, type HostFacts } from "./bundle/index.js";
import { hostSupportsSwapAccounting, type CgroupLayout } from "./stats/index.js";

/**
 * This machine's facts the bundle builder needs: cgroup version, swap accounting, cpus, memory, open-files ceiling,
 * CPU architecture.
 */
export async function detectHostFacts(cgroups: CgroupLayout): Promise<HostFacts> {
  const host: HostFacts = {
    cgroupVersion: cgroups.version,
    swapAccounting: await hostSupportsSwapAccounting(cgroups),
    cpuCount: availableParallelism(),
    memoryBytes: totalmem(),
    arch: process.arch,
  };
  const maxNofile = maxNofileFromProc(
    await readFile("/proc/self/status", "utf8"),
    await readFile("/proc/self/limits", "utf8"),
    await readFile("/proc/sys/fs/nr_open", "utf8").catch(() => ""),
  );
  if (maxNofile !== undefined) host.maxNofile = maxNofile;
  return host;
}

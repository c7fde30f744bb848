/** Container resource usage from cgroups, v1 (and hybrid) or v2. */
export {
  cgroupDirs,
  cgroupLayoutFrom,
  parseCgroupMounts,
  type CgroupLayout,
  type CgroupMounts,
} from "./cgroup-layout.js";
export {
  parseCounter,
  parseKeyedFile,
  parseV1CpuUsage,
  parseV1MemoryLimit,
  parseV1MemoryUsage,
  parseV1OomKillCount,
  parseV2CpuUsage,
  parseV2MemoryLimit,
  parseV2MemoryUsage,
  parseV2OomKillCount,
} from "./cgroup-parsers.js";
export { detectCgroupLayout, hostSupportsSwapAccounting, readContainerStats, readOomKillCount } from "./read-stats.js";

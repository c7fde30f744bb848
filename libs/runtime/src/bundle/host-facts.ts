/**
 * What a container config depends on about the host. The caller reads these once (from /proc, /sys) and passes
 * them in, so validation and config building stay pure.
 */
export interface HostFacts {
  /** Version of the cgroup hierarchy containers are placed in (1 on hybrid hosts). */
  cgroupVersion: 1 | 2;
  /** Whether the memory cgroup accounts swap (`memory.memsw.*` on v1, `memory.swap.max` on v2). */
  swapAccounting: boolean;
  /** Online CPUs; cpuset CPUs are numbered 0..cpuCount-1. */
  cpuCount: number;
  /** Physical memory in bytes. */
  memoryBytes: number;
}

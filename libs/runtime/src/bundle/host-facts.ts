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
  /**
   * The highest RLIMIT_NOFILE a container can get here (see maxNofileFromProc); absent means no cap. The default
   * open-files limit is lowered to it, and a spec asking for more is refused.
   */
  maxNofile?: number;
  /** The CPU architecture as Node names it (`process.arch`: `x64`, `arm64`); picks the seccomp architectures. */
  arch: string;
}

/** The capability that lets a process raise a hard rlimit. */
const CAP_SYS_RESOURCE = 24n;

/**
 * The highest RLIMIT_NOFILE runc can give a container when started by this process, from the texts of
 * /proc/self/status, /proc/self/limits and /proc/sys/fs/nr_open: nr_open when the process may raise hard limits
 * (CAP_SYS_RESOURCE), else its own hard open-files limit, which runc inherits and cannot exceed. Undefined when
 * the texts do not say.
 */
export function maxNofileFromProc(procSelfStatus: string, procSelfLimits: string, nrOpen: string): number | undefined {
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(procSelfStatus)?.[1];
  const nr = Number(nrOpen.trim());
  if (capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n) {
    return Number.isSafeInteger(nr) && nr > 0 ? nr : undefined;
  }
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(procSelfLimits)?.[1];
  if (hard === undefined) return undefined;
  if (hard === "unlimited") return Number.isSafeInteger(nr) && nr > 0 ? nr : undefined;
  const n = Number(hard);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * The parts of the OCI runtime spec (1.0.2) config.json this runtime writes, typed. Field names and shapes follow
 * the spec exactly so the object can be serialized as is; optional parts the runtime never sets are left out.
 */

/** The version of the OCI runtime spec the generated configs follow (what runc 1.1 reads). */
export const OCI_VERSION = "1.0.2";

/** The user the container process runs as. */
export interface OciUser {
  uid: number;
  gid: number;
  additionalGids?: number[];
}

/** Capability sets, each a list of `CAP_*` names. */
export interface OciCapabilities {
  bounding: string[];
  effective: string[];
  permitted: string[];
}

/** A process resource limit, `type` like `RLIMIT_NOFILE`. */
export interface OciRlimit {
  type: string;
  soft: number;
  hard: number;
}

/** The container's process. */
export interface OciProcess {
  terminal: boolean;
  user: OciUser;
  args: string[];
  env: string[];
  cwd: string;
  capabilities: OciCapabilities;
  rlimits: OciRlimit[];
  noNewPrivileges: boolean;
  oomScoreAdj: number;
}

/** The container's root filesystem. */
export interface OciRoot {
  path: string;
  readonly: boolean;
}

/** One mount, in the order runc performs them. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** A namespace the container gets: a new one, or the one at `path` joined. */
export interface OciNamespace {
  type: "pid" | "network" | "mount" | "ipc" | "uts" | "user" | "cgroup";
  path?: string;
}

/** A device cgroup rule; `type` `a` (all), `c` or `b`; absent major/minor mean any. */
export interface OciDeviceRule {
  allow: boolean;
  type?: "a" | "c" | "b";
  major?: number;
  minor?: number;
  access: string;
}

/** Memory limits in bytes; `swap` is memory plus swap. */
export interface OciMemory {
  limit?: number;
  reservation?: number;
  swap?: number;
}

/** CPU limits: CFS quota over period (microseconds), relative shares, allowed CPUs. */
export interface OciCpu {
  shares?: number;
  quota?: number;
  period?: number;
  cpus?: string;
}

/** Cgroup resource settings. */
export interface OciResources {
  devices: OciDeviceRule[];
  memory?: OciMemory;
  cpu?: OciCpu;
  pids?: { limit: number };
}

/** What seccomp does with a matching syscall (or, as `defaultAction`, with every other one). */
export type OciSeccompAction = "SCMP_ACT_ALLOW" | "SCMP_ACT_ERRNO" | "SCMP_ACT_KILL_PROCESS" | "SCMP_ACT_LOG";

/**
 * A comparison of syscall argument `index` with `value`; SCMP_CMP_MASKED_EQ compares `arg & value` with
 * `valueTwo`.
 */
export interface OciSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op:
    | "SCMP_CMP_NE"
    | "SCMP_CMP_LT"
    | "SCMP_CMP_LE"
    | "SCMP_CMP_EQ"
    | "SCMP_CMP_GE"
    | "SCMP_CMP_GT"
    | "SCMP_CMP_MASKED_EQ";
}

/** Syscalls `names` get `action` (with `errnoRet` for SCMP_ACT_ERRNO) when all `args` comparisons hold. */
export interface OciSyscallRule {
  names: string[];
  action: OciSeccompAction;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

/** A seccomp filter: `syscalls` rules, `defaultAction` (with `defaultErrnoRet`) for every other call. */
export interface OciSeccomp {
  defaultAction: OciSeccompAction;
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_*` names of the ABIs the filter covers; calls from others are refused. */
  architectures: string[];
  syscalls: OciSyscallRule[];
}

/** Linux-specific settings. */
export interface OciLinux {
  namespaces: OciNamespace[];
  cgroupsPath: string;
  resources: OciResources;
  maskedPaths: string[];
  readonlyPaths: string[];
  rootfsPropagation: "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared";
  /** Absent: no filter (the container runs unconfined). */
  seccomp?: OciSeccomp;
}

/** A whole config.json. */
export interface OciConfig {
  ociVersion: string;
  process: OciProcess;
  root: OciRoot;
  /** Absent when the container shares the host's network (and so keeps the host's name). */
  hostname?: string;
  mounts: OciMount[];
  linux: OciLinux;
}

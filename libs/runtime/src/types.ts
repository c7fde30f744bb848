/**
 * The runtime's data types: images, container specs and what the runtime reports about containers. Durations
 * are milliseconds, sizes bytes, times ISO-8601 strings in UTC, digests `sha256:<64 hex>`.
 */

/** A health check as images and specs carry it (Docker's HEALTHCHECK). */
export interface HealthcheckConfig {
  /**
   * `["CMD", prog, ...args]` runs prog directly, `["CMD-SHELL", "cmd"]` runs `/bin/sh -c cmd`, `["NONE"]`
   * disables a check inherited from the image.
   */
  test: string[];
  /** Time between probes; default 30 s. */
  intervalMs?: number;
  /** A probe running longer is killed and counts as a failure; default 30 s. */
  timeoutMs?: number;
  /** Consecutive failures that make the container unhealthy; default 3. */
  retries?: number;
  /** Failures during this time after start do not count (successes still make it healthy); default 0. */
  startPeriodMs?: number;
}

/** The parts of an image's config that decide how its containers run. */
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  /** `NAME=value` entries. */
  env: string[];
  workingDir?: string;
  user?: string;
  /** `"80/tcp"`-style keys. */
  exposedPorts: string[];
  healthcheck?: HealthcheckConfig;
  stopSignal?: string;
  labels: Record<string, string>;
  volumes: string[];
}

/** An image in the store. */
export interface ImageRecord {
  /** Digest of the image config blob: the image's identity. */
  id: string;
  /** Normalized references, e.g. `docker.io/library/busybox:latest`, `registry:5000/app:1.2`. */
  repoTags: string[];
  /** `name@sha256:...` of the manifests it was pulled or imported as. */
  repoDigests: string[];
  /** Digest of the manifest the image came from. */
  manifestDigest: string;
  /** Uncompressed layer digests (diff ids), bottom first. */
  layers: string[];
  /** Sum of the unpacked layer sizes. */
  size: number;
  created?: string;
  architecture: string;
  os: string;
  config: ImageConfig;
}

/** How a container's network namespace is set up. */
export type NetworkMode =
  /** A new namespace with only a loopback device. */
  | { mode: "none" }
  /** The host's namespace. */
  | { mode: "host" }
  /** Join a namespace prepared by the caller (an `ip netns` bind mount, or `/proc/<pid>/ns/net`). */
  | { mode: "path"; path: string };

/** A mount into a container. */
export type MountSpec =
  | { type: "volume"; source: string; target: string; readOnly?: boolean }
  | { type: "bind"; source: string; target: string; readOnly?: boolean }
  | { type: "tmpfs"; target: string; sizeBytes?: number; mode?: number };

/** Resource limits and reservations. */
export interface ResourceSpec {
  /** Hard memory limit (bytes); at least 6 MiB. */
  memoryBytes?: number;
  /** Soft limit the kernel reclaims down to under pressure (bytes); at most memoryBytes. */
  memoryReservationBytes?: number;
  /** CPUs as a fraction (`--cpus 1.5` is 1.5): cpu quota over a 100 ms period. */
  cpus?: number;
  /** Relative cpu weight (Docker's `--cpu-shares`), 2..262144. */
  cpuShares?: number;
  /** CPUs the container may run on, `"0-1"`, `"0,2"`. */
  cpusetCpus?: string;
  /** Maximum number of processes; 0 or absent means unlimited. */
  pidsLimit?: number;
}

/** A process resource limit (`RLIMIT_NOFILE` as `nofile`). */
export interface RlimitSpec {
  type: string;
  soft: number;
  hard: number;
}

/** Log capture options. */
export interface LogSpec {
  /** Rotate the log file when it reaches this size; default 10 MiB. */
  maxSizeBytes?: number;
  /** How many files to keep, the live one included; default 3. */
  maxFiles?: number;
}

/** What the caller asks to run. Fields left out come from the image config, as with `docker run`. */
export interface ContainerSpec {
  /** Unique id chosen by the caller (the task id): `[A-Za-z0-9][A-Za-z0-9_.-]{0,127}`. */
  id: string;
  /** Image reference or id. */
  image: string;
  /** Replaces the image's Entrypoint. */
  entrypoint?: string[];
  /** Replaces the image's Cmd (Docker's "command and args"). */
  cmd?: string[];
  /** `NAME=value` entries added to (and overriding) the image's Env. */
  env?: string[];
  /** `user`, `uid`, `user:group` or `uid:gid`, resolved in the image's /etc/passwd and /etc/group. */
  user?: string;
  workdir?: string;
  hostname?: string;
  network?: NetworkMode;
  /** Nameservers for the container's resolv.conf instead of the host's (whose search and options lines are kept). */
  dnsServers?: string[];
  mounts?: MountSpec[];
  readOnlyRootfs?: boolean;
  resources?: ResourceSpec;
  /** Capabilities added to / dropped from Docker's default set, e.g. `NET_ADMIN` (with or without `CAP_`). */
  capAdd?: string[];
  capDrop?: string[];
  /**
   * `default` (the default): the container's syscalls are filtered by the default seccomp profile for its
   * capabilities (Docker's behaviour); `unconfined`: no filter.
   */
  seccomp?: "default" | "unconfined";
  /**
   * Whether the process and its children may never gain privileges (setuid and file-capability binaries run
   * without them); default true.
   */
  noNewPrivileges?: boolean;
  rlimits?: RlimitSpec[];
  /**
   * Run a tiny init as PID 1 that forwards signals to the command and reaps orphans (Docker's `--init`);
   * default true. With false the command is PID 1 and, like any pid-namespace init, ignores signals it has no
   * handler for, so a stop may have to wait for the grace period and SIGKILL.
   */
  init?: boolean;
  /** Overrides the image's StopSignal (default SIGTERM). */
  stopSignal?: string;
  /** Time between the stop signal and SIGKILL; default 10 s. */
  stopGracePeriodMs?: number;
  /** Overrides the image's health check. */
  healthcheck?: HealthcheckConfig;
  labels?: Record<string, string>;
  log?: LogSpec;
}

/** The lifecycle state of a container. */
export type ContainerStatus = "created" | "running" | "stopped";

/** Health of a container with a health check. */
export type HealthStatus = "starting" | "healthy" | "unhealthy";

/** One probe's outcome, kept for inspect (the last 5). */
export interface HealthProbeResult {
  start: string;
  end: string;
  exitCode: number;
  output: string;
}

/** A container's health state. */
export interface HealthState {
  status: HealthStatus;
  failingStreak: number;
  log: HealthProbeResult[];
}

/** What the runtime reports about a container. */
export interface ContainerInfo {
  id: string;
  /** The reference the spec named. */
  image: string;
  /** The image id it runs. */
  imageId: string;
  status: ContainerStatus;
  /** Host pid of the container's init while it runs. */
  pid?: number;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  /** Exit code (128 + signal for a signal), when stopped after running. */
  exitCode?: number;
  /** The kernel's OOM killer killed a process of the container. */
  oomKilled: boolean;
  /** Why the runtime could not tell how it ended (shim lost, host rebooted), when that happened. */
  error?: string;
  health?: HealthState;
  labels: Record<string, string>;
  /** The process that runs: entrypoint + cmd after merging with the image. */
  args: string[];
  spec: ContainerSpec;
}

/** How a container ended. */
export interface ExitInfo {
  exitCode: number;
  oomKilled: boolean;
  finishedAt: string;
  error?: string;
}

/** Resource usage read from the container's cgroups. */
export interface ContainerStats {
  /** Total cpu time consumed (ns). */
  cpuUsageNs: number;
  memoryUsageBytes: number;
  /** The limit in force (the host's memory when unlimited). */
  memoryLimitBytes: number;
  pids: number;
  /** When it was read. */
  read: string;
}

/** One line (or a piece of a long line) of a container's output. */
export interface LogEntry {
  time: string;
  stream: "stdout" | "stderr";
  /** The text, including its trailing newline when the line was complete. */
  line: string;
}

/** Options for reading logs. */
export interface LogReadOptions {
  /** Only entries at or after this time (ISO string or epoch ms). */
  since?: string | number;
  /** Only the last N entries (before following). */
  tail?: number;
  /** Keep yielding new entries until the container stops and its output is drained, or `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
}

/** A command to run inside a running container. */
export interface ExecSpec {
  cmd: string[];
  env?: string[];
  user?: string;
  workdir?: string;
  /** Kill it after this long; absent means no limit. */
  timeoutMs?: number;
  /** Bytes fed to its stdin. */
  stdin?: string | Uint8Array;
}

/** What an exec produced. Output is capped (last 64 KiB of each stream). */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A named volume. */
export interface VolumeInfo {
  name: string;
  /** Host directory holding its data. */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
}

/** Something that happened to a container, for the agent to report. */
export type ContainerEvent =
  | { type: "start"; id: string; time: string }
  | { type: "exit"; id: string; time: string; exit: ExitInfo }
  | { type: "oom"; id: string; time: string }
  | { type: "health"; id: string; time: string; status: HealthStatus };

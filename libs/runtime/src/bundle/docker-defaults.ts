import type { OciDeviceRule, OciMount } from "./oci-config.js";

/**
 * What every container gets, as Docker sets it up: the kernel filesystems, the paths of /proc and /sys hidden or
 * made read-only, and the devices it may use. Kept as data so a reviewer can compare them with Docker's.
 */

/** Size of /dev/shm (Docker's default `--shm-size`). */
export const SHM_SIZE_BYTES = 64 * 1024 * 1024;

/** The kernel filesystems mounted into every container, parents before children. */
export const DEFAULT_MOUNTS: readonly OciMount[] = [
  { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
  {
    destination: "/dev",
    type: "tmpfs",
    source: "tmpfs",
    options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
  },
  {
    destination: "/dev/pts",
    type: "devpts",
    source: "devpts",
    options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
  },
  {
    destination: "/dev/shm",
    type: "tmpfs",
    source: "shm",
    options: ["nosuid", "noexec", "nodev", "mode=1777", `size=${SHM_SIZE_BYTES}`],
  },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
  // runc shows the container its own cgroups here (each v1 controller, or the v2 tree), read-only.
  { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "ro"] },
];

/** Paths hidden from the container (an empty file or directory is mounted over them): they leak host data. */
export const MASKED_PATHS: readonly string[] = [
  "/proc/asound",
  "/proc/acpi",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  // Power readings allow side-channel attacks on other tenants (CVE-2020-8694); newer Docker hides it too.
  "/sys/devices/virtual/powercap",
];

/** Paths the container may read but not write: host-wide kernel settings. */
export const READONLY_PATHS: readonly string[] = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

const allowChar = (major: number | undefined, minor: number | undefined, access = "rwm"): OciDeviceRule => ({
  allow: true,
  type: "c",
  ...(major === undefined ? {} : { major }),
  ...(minor === undefined ? {} : { minor }),
  access,
});

/**
 * The device cgroup rules: deny everything, then allow creating device nodes (not using them) and the devices
 * every container has (null, zero, full, random, urandom, tty, console, ptmx, its own ptys). Docker also lists a
 * deny for /dev/fuse; after "deny all" it changes nothing, and on cgroup v1 runc refuses a deny that follows the
 * wildcard mknod rules, so it is left out.
 */
export const DEVICE_RULES: readonly OciDeviceRule[] = [
  { allow: false, access: "rwm" },
  allowChar(undefined, undefined, "m"),
  { allow: true, type: "b", access: "m" },
  allowChar(1, 3), // /dev/null
  allowChar(1, 5), // /dev/zero
  allowChar(1, 7), // /dev/full
  allowChar(1, 8), // /dev/random
  allowChar(1, 9), // /dev/urandom
  allowChar(5, 0), // /dev/tty
  allowChar(5, 1), // /dev/console
  allowChar(5, 2), // /dev/ptmx
  allowChar(136, undefined), // /dev/pts/*
];

import { InvalidSpecError } from "../errors.js";

/** Every Linux capability by number (up to CAP_CHECKPOINT_RESTORE, Linux 5.9), without the `CAP_` prefix. */
export const ALL_CAPABILITIES: readonly string[] = [
  "CHOWN",
  "DAC_OVERRIDE",
  "DAC_READ_SEARCH",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE",
  "NET_BROADCAST",
  "NET_ADMIN",
  "NET_RAW",
  "IPC_LOCK",
  "IPC_OWNER",
  "SYS_MODULE",
  "SYS_RAWIO",
  "SYS_CHROOT",
  "SYS_PTRACE",
  "SYS_PACCT",
  "SYS_ADMIN",
  "SYS_BOOT",
  "SYS_NICE",
  "SYS_RESOURCE",
  "SYS_TIME",
  "SYS_TTY_CONFIG",
  "MKNOD",
  "LEASE",
  "AUDIT_WRITE",
  "AUDIT_CONTROL",
  "SETFCAP",
  "MAC_OVERRIDE",
  "MAC_ADMIN",
  "SYSLOG",
  "WAKE_ALARM",
  "BLOCK_SUSPEND",
  "AUDIT_READ",
  "PERFMON",
  "BPF",
  "CHECKPOINT_RESTORE",
];

/** The capabilities a container gets unless told otherwise: Docker's default set. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
];

const KNOWN = new Set(ALL_CAPABILITIES);

/**
 * A capability name as written in a spec (`net_admin`, `CAP_NET_ADMIN`, `ALL`) in canonical form: upper case
 * without the prefix. Throws InvalidSpecError naming `field` for a name Linux does not have.
 */
export function normalizeCapability(name: string, field: string): string {
  const upper = name.trim().toUpperCase();
  const bare = upper.startsWith("CAP_") ? upper.slice(4) : upper;
  if (bare === "ALL" || KNOWN.has(bare)) return bare;
  throw new InvalidSpecError(
    field,
    `unknown capability ${JSON.stringify(name)}; use a Linux capability name like NET_ADMIN or CAP_NET_ADMIN, or ALL`,
  );
}

/**
 * The effective capability set (`CAP_*` names, in capability-number order) with Docker's semantics: `ALL` in
 * `capAdd` grants every capability except those dropped; `ALL` in `capDrop` keeps only those added; otherwise
 * the default set minus `capDrop` plus `capAdd` (an add wins over a drop of the same capability).
 */
export function effectiveCapabilities(capAdd: readonly string[] = [], capDrop: readonly string[] = []): string[] {
  const add = capAdd.map((c, i) => normalizeCapability(c, `capAdd[${i}]`));
  const drop = capDrop.map((c, i) => normalizeCapability(c, `capDrop[${i}]`));
  let granted: Set<string>;
  if (add.includes("ALL")) {
    granted = new Set(ALL_CAPABILITIES.filter((c) => !drop.includes(c)));
  } else if (drop.includes("ALL")) {
    granted = new Set(add);
  } else {
    granted = new Set([...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add]);
  }
  return ALL_CAPABILITIES.filter((c) => granted.has(c)).map((c) => `CAP_${c}`);
}

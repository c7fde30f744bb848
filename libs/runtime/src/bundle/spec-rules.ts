/** Syntax rules shared by spec validation, config building and the /etc file generators. */

/** What a container id looks like (the task id the caller chooses). */
export const CONTAINER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** What a named volume's name looks like (as Docker accepts them). */
export const VOLUME_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,254}$/;

/** What an environment variable's name looks like (POSIX shell names). */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The smallest memory limit runc can start a container under (Docker's minimum too). */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/** The longest hostname the kernel keeps (HOST_NAME_MAX is 64 with the terminating NUL). */
export const MAX_HOSTNAME_LENGTH = 63;

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Whether `name` is an RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, <= 63. */
export function isValidHostname(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_HOSTNAME_LENGTH && name.split(".").every((l) => LABEL.test(l));
}

/** Whether `p` is an absolute path already in normal form (no `.`, `..`, `//` or trailing slash). */
export function isNormalAbsolutePath(p: string): boolean {
  if (!p.startsWith("/") || p.includes("\0")) return false;
  if (p === "/") return true;
  return p
    .split("/")
    .slice(1)
    .every((part) => part !== "" && part !== "." && part !== "..");
}

/** Whether `p` equals `dir` or lies below it. Both must be normal absolute paths. */
export function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === "/" ? "/" : `${dir}/`);
}

/**
 * The CPU numbers a cpuset string (`"0-2,4"`) names, ascending, or a description of what is wrong with it.
 * Pure syntax: whether the CPUs exist is the caller's check.
 */
export function parseCpuset(text: string): { cpus: number[] } | { error: string } {
  const cpus = new Set<number>();
  if (text.trim() === "") return { error: "it is empty" };
  for (const part of text.split(",")) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
    if (!m) return { error: `${JSON.stringify(part)} is neither a CPU number nor a range like 0-3` };
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return { error: `range ${JSON.stringify(part)} runs backwards` };
    for (let c = lo; c <= hi; c++) cpus.add(c);
  }
  return { cpus: [...cpus].sort((a, b) => a - b) };
}

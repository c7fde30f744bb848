/** Signal numbers the kernel's default action ignores (or that only stop/continue, which the twin ignores). */
const IGNORED_BY_DEFAULT = new Set([17, 18, 19, 20, 21, 22, 23, 28]);

/** SIGKILL: cannot be caught or ignored. */
export const SIGKILL = 9;

/** Signal names and numbers are parsed as the real runtime does. */
export { parseSignal } from "../bundle/signals.js";

/** True when a process that does not handle signal `n` keeps running (SIGCHLD, SIGWINCH, SIGCONT, ...). */
export function ignoredByDefault(n: number): boolean {
  return IGNORED_BY_DEFAULT.has(n);
}

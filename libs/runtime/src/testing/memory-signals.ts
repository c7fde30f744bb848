import { InvalidSpecError } from "../errors.js";

/** Linux signal numbers (x86-64 and arm64 agree on these). */
const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12,
  PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22,
  URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
};

/** Signal numbers the kernel's default action ignores (or that only stop/continue, which the twin ignores). */
const IGNORED_BY_DEFAULT = new Set([17, 18, 19, 20, 21, 22, 23, 28]);

/** SIGKILL: cannot be caught or ignored. */
export const SIGKILL = 9;

/**
 * Parses a signal given as a name (`SIGTERM`, `TERM`, `term`) or number (`15`, `"15"`). Throws InvalidSpecError
 * naming `field` for anything else.
 */
export function parseSignal(signal: string | number, field = "signal"): number {
  if (typeof signal === "number" || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (Number.isInteger(n) && n >= 1 && n <= 64) return n;
  } else {
    const name = signal.toUpperCase().replace(/^SIG/, "");
    const n = SIGNALS[name];
    if (n !== undefined) return n;
  }
  throw new InvalidSpecError(field, `unknown signal ${JSON.stringify(signal)}; use a name like SIGTERM or a number 1-64`);
}

/** True when a process that does not handle signal `n` keeps running (SIGCHLD, SIGWINCH, SIGCONT, ...). */
export function ignoredByDefault(n: number): boolean {
  return IGNORED_BY_DEFAULT.has(n);
}

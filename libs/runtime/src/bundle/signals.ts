import { InvalidSpecError } from "../errors.js";

/** Linux signal numbers by name without the `SIG` prefix (x86, arm and the generic table agree). */
const SIGNALS: ReadonlyMap<string, number> = new Map([
  ["HUP", 1],
  ["INT", 2],
  ["QUIT", 3],
  ["ILL", 4],
  ["TRAP", 5],
  ["ABRT", 6],
  ["IOT", 6],
  ["BUS", 7],
  ["FPE", 8],
  ["KILL", 9],
  ["USR1", 10],
  ["SEGV", 11],
  ["USR2", 12],
  ["PIPE", 13],
  ["ALRM", 14],
  ["TERM", 15],
  ["STKFLT", 16],
  ["CHLD", 17],
  ["CLD", 17],
  ["CONT", 18],
  ["STOP", 19],
  ["TSTP", 20],
  ["TTIN", 21],
  ["TTOU", 22],
  ["URG", 23],
  ["XCPU", 24],
  ["XFSZ", 25],
  ["VTALRM", 26],
  ["PROF", 27],
  ["WINCH", 28],
  ["IO", 29],
  ["POLL", 29],
  ["PWR", 30],
  ["SYS", 31],
]);

/**
 * The real-time signal range as containers see it. The kernel's range starts at 32, but the C library keeps
 * 32 and 33 for itself, so `SIGRTMIN` is 34 for every program linked against glibc or musl.
 */
export const SIGRTMIN = 34;
/** The highest signal number on Linux. */
export const SIGRTMAX = 64;

const RT_FORM = /^RT(MIN|MAX)(?:([+-])(\d{1,2}))?$/;

function invalid(field: string, value: string | number): InvalidSpecError {
  return new InvalidSpecError(
    field,
    `unknown signal ${JSON.stringify(value)}; use a name like SIGTERM or TERM, SIGRTMIN+n, or a number 1..${SIGRTMAX}`,
  );
}

/**
 * The number of a signal given by name (`SIGTERM`, `TERM`, `sigterm`), real-time form (`SIGRTMIN+3`,
 * `RTMAX-1`) or number (`15`, `"15"`). Throws InvalidSpecError naming `field` for anything else.
 */
export function parseSignal(signal: string | number, field = "signal"): number {
  if (typeof signal === "number") {
    if (Number.isInteger(signal) && signal >= 1 && signal <= SIGRTMAX) return signal;
    throw invalid(field, signal);
  }
  const text = signal.trim();
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= SIGRTMAX) return n;
    throw invalid(field, signal);
  }
  const name = text.toUpperCase().replace(/^SIG/, "");
  const known = SIGNALS.get(name);
  if (known !== undefined) return known;
  const rt = RT_FORM.exec(name);
  if (rt) {
    const base = rt[1] === "MIN" ? SIGRTMIN : SIGRTMAX;
    const offset = rt[3] === undefined ? 0 : Number(rt[3]) * (rt[2] === "-" ? -1 : 1);
    const n = base + offset;
    if (n >= SIGRTMIN && n <= SIGRTMAX) return n;
  }
  throw invalid(field, signal);
}

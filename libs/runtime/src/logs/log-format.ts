import { InvalidSpecError } from "../errors.js";
import type { LogEntry } from "../types.js";

/**
 * The on-disk log format, Docker's json-file: one JSON object per line,
 * `{"log":"text\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}`, times in UTC with nanoseconds.
 */

/** Name of the live log file in a container's log dir; rotated files are `container.log.1` (newest) and up. */
export const LOG_FILE_NAME = "container.log";
/** Lines longer than this many bytes are split into pieces; only the last piece ends with `\n`. */
export const MAX_LINE_BYTES = 16 * 1024;
/** Default rotation size (10 MiB) and file count (3, the live one included), as in LogSpec. */
export const LOG_DEFAULTS = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 } as const;

/** `container.log` -> 0, `container.log.<n>` -> n, anything else -> undefined. */
export function logFileIndex(name: string): number | undefined {
  if (name === LOG_FILE_NAME) return 0;
  const m = /^container\.log\.([1-9]\d{0,5})$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The file name of rotation index `n` (0 is the live file). */
export function logFileName(index: number): string {
  return index === 0 ? LOG_FILE_NAME : `${LOG_FILE_NAME}.${index}`;
}

/** An entry as one line of the file, with its newline. */
export function encodeLogEntry(entry: LogEntry): string {
  return `${JSON.stringify({ log: entry.line, stream: entry.stream, time: entry.time })}\n`;
}

/** Parses one line of a log file (without its newline); `undefined` for a malformed line. */
export function decodeLogLine(line: Buffer | string): LogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line.toString());
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { log, stream, time } = value as Record<string, unknown>;
  if (typeof log !== "string" || typeof time !== "string" || (stream !== "stdout" && stream !== "stderr")) {
    return undefined;
  }
  return { time, stream, line: log };
}

/** Formats epoch nanoseconds as RFC 3339 in UTC with all nine fraction digits: `2026-11-23T10:00:00.123456789Z`. */
export function formatLogTime(epochNs: bigint): string {
  const seconds = epochNs / 1_000_000_000n;
  const fraction = (epochNs % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

/** Parses an RFC 3339 time (any number of fraction digits up to nine, any offset) to epoch ns. */
export function parseLogTimeNs(time: string): bigint | undefined {
  const m = RFC3339.exec(time);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[3] as string).toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((m[2] ?? "").padEnd(9, "0"));
}

/**
 * The `since` option as epoch ns: an RFC 3339 time or epoch milliseconds.
 *
 * @throws InvalidSpecError naming `since` when it is neither.
 */
export function parseSince(since: string | number): bigint {
  if (typeof since === "number") {
    if (!Number.isFinite(since) || since < 0) {
      throw new InvalidSpecError("since", `must be epoch milliseconds >= 0, got ${since}`);
    }
    const whole = Math.floor(since);
    return BigInt(whole) * 1_000_000n + BigInt(Math.round((since - whole) * 1_000_000));
  }
  const ns = parseLogTimeNs(since);
  if (ns === undefined) {
    throw new InvalidSpecError(
      "since",
      `${JSON.stringify(since)} is not an RFC 3339 time such as 2026-11-23T10:00:00Z`,
    );
  }
  return ns;
}

const wallClockBase = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** The wall clock in epoch ns, with the monotonic clock's resolution below the millisecond. */
export function wallClockNs(): bigint {
  return wallClockBase + process.hrtime.bigint();
}

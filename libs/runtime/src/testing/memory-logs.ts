import { InvalidSpecError } from "../errors.js";
import type { LogEntry, LogReadOptions } from "../types.js";

type Stream = LogEntry["stream"];

/**
 * A container's output kept in memory, as the real runtime's log files hold it: one entry per line (with its
 * `\n`), stamped with the injected clock's time. A line without `\n` stays pending until completed or
 * {@link MemoryLog.flush}ed at exit.
 */
export class MemoryLog {
  readonly entries: LogEntry[] = [];
  private readonly partial: Record<Stream, string> = { stdout: "", stderr: "" };
  private waiters: (() => void)[] = [];

  constructor(private readonly now: () => number) {}

  /** Appends process output; complete lines become entries at once. */
  write(stream: Stream, text: string): void {
    let rest = this.partial[stream] + text;
    let added = false;
    for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
      this.push(stream, rest.slice(0, nl + 1));
      rest = rest.slice(nl + 1);
      added = true;
    }
    this.partial[stream] = rest;
    if (added) this.notify();
  }

  /** Turns pending partial lines into entries (the process ended) and wakes followers. */
  flush(): void {
    for (const stream of ["stdout", "stderr"] as const) {
      if (this.partial[stream] !== "") this.push(stream, this.partial[stream]);
      this.partial[stream] = "";
    }
    this.notify();
  }

  /** Wakes every follower, to re-check for entries and for the end. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at the next {@link notify} or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        signal?.removeEventListener("abort", done);
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private push(stream: Stream, line: string): void {
    this.entries.push({ time: new Date(this.now()).toISOString(), stream, line });
  }
}

/**
 * Reads a {@link MemoryLog} with the semantics of the runtime's log reader: `since` (inclusive) then `tail`,
 * then with `follow` every new entry until `ended()` is true and all is drained, or `signal` aborts (the
 * iteration then just ends). Bad options throw InvalidSpecError before anything is read.
 */
export async function* readMemoryLog(
  log: MemoryLog,
  options: LogReadOptions,
  ended: () => boolean,
): AsyncGenerator<LogEntry> {
  const since = sinceMs(options.since);
  const tail = options.tail;
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) {
    throw new InvalidSpecError("tail", `must be a whole number >= 0, got ${tail}`);
  }
  const wanted = (e: LogEntry): boolean => since === undefined || Date.parse(e.time) >= since;
  const backlog = log.entries.filter(wanted);
  let next = log.entries.length;
  yield* tail === undefined ? backlog : backlog.slice(backlog.length - tail);
  if (!options.follow) return;
  for (;;) {
    while (next < log.entries.length) {
      const e = log.entries[next++] as LogEntry;
      if (wanted(e)) yield e;
    }
    if (ended() || options.signal?.aborted) return;
    await log.changed(options.signal);
  }
}

function sinceMs(since: string | number | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = typeof since === "number" ? since : Date.parse(since);
  if (!Number.isFinite(ms)) {
    throw new InvalidSpecError("since", `must be an ISO-8601 time or epoch milliseconds, got ${JSON.stringify(since)}`);
  }
  return ms;
}

import { stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidSpecError } from "../errors.js";
import type { LogEntry, LogReadOptions } from "../types.js";
import { LogCursor, completeEnd, linesBackward } from "./log-cursor.js";
import { closeLogFiles, openLogFiles, type OpenLogFile } from "./log-files.js";
import { LOG_FILE_NAME, decodeLogLine, parseLogTimeNs, parseSince } from "./log-format.js";
import { LogWakeup } from "./log-wakeup.js";

/** Tuning of a follow; the defaults suit production. */
export interface LogFollowTuning {
  /** How often to look for changes when no inotify event came (ms); default 1000. */
  pollIntervalMs?: number;
}

/**
 * Reads the entries of a container's log dir (`container.log` and its rotated files), oldest first.
 *
 * - `since`: only entries at or after that time. `tail`: only the last N entries, found by reading the files
 *   backwards (across file boundaries), so a big log costs only what is shown.
 * - `follow`: after the past entries, keeps yielding new ones as they are written. When the live file is
 *   rotated, the renamed file is finished first, then the next one is read from its start: no entry is lost
 *   or repeated (unless rotation drops a file before it was read). It ends once `done` has resolved (the
 *   container stopped) and the files are drained, or when `signal` aborts: the iterator then just returns.
 * - A last line without its newline is held back until complete; malformed lines are skipped.
 *
 * @throws InvalidSpecError naming `since` or `tail` when invalid (on the first `next()`).
 */
export async function* readLogs(
  dir: string,
  options: LogReadOptions = {},
  done: Promise<void> = new Promise<void>(() => undefined),
  tuning: LogFollowTuning = {},
): AsyncGenerator<LogEntry, void, undefined> {
  const sinceNs = options.since === undefined ? undefined : parseSince(options.since);
  const { tail, follow = false, signal } = options;
  if (tail !== undefined && (!Number.isSafeInteger(tail) || tail < 0)) {
    throw new InvalidSpecError("tail", `must be a whole number of entries >= 0, got ${tail}`);
  }
  if (signal?.aborted) return;
  const accept = (line: Buffer): LogEntry | undefined => {
    const entry = decodeLogLine(line);
    if (entry === undefined || sinceNs === undefined) return entry;
    const time = parseLogTimeNs(entry.time);
    return time !== undefined && time >= sinceNs ? entry : undefined;
  };

  let finished = false;
  // Set up before the first look at the files, so that no change after it goes unnoticed.
  const wakeup = follow ? new LogWakeup(dir, tuning.pollIntervalMs ?? 1000, signal) : undefined;
  const markDone = (): void => {
    finished = true;
    wakeup?.wake();
  };
  done.then(markDone, markDone);

  let files: OpenLogFile[] = [];
  let held: LogCursor | undefined;
  try {
    files = await openLogFiles(dir);
    // Past entries.
    const last = files.at(-1);
    if (tail !== undefined) {
      const liveEnd = last === undefined ? 0 : await completeEnd(last.handle, (await last.handle.stat()).size);
      for (const entry of await tailEntries(files, tail, liveEnd, accept)) {
        yield entry;
        if (signal?.aborted) return;
      }
      if (last !== undefined) held = new LogCursor(last.handle, last.ino, liveEnd);
    } else {
      for (const file of files) {
        const cursor = new LogCursor(file.handle, file.ino, 0);
        for await (const entry of accepted(cursor, accept)) {
          yield entry;
          if (signal?.aborted) return;
        }
        held = cursor;
      }
    }
    await closeLogFiles(files.filter((f) => f.handle !== held?.handle));
    if (wakeup === undefined) return;

    // New entries, across rotations.
    for (;;) {
      const finishing = finished;
      for (;;) {
        if (held !== undefined) {
          for await (const entry of accepted(held, accept)) {
            yield entry;
            if (signal?.aborted) return;
          }
        }
        if (held !== undefined && (await liveIno(dir)) === held.ino) break;
        // The held file was rotated (or there was none): it is complete, so read its rest, then move on.
        if (held !== undefined) {
          for await (const entry of accepted(held, accept)) {
            yield entry;
            if (signal?.aborted) return;
          }
        }
        const next = await successor(dir, held);
        if (next === undefined) break;
        await held?.handle.close();
        held = next;
      }
      if (finishing || signal?.aborted) return;
      await wakeup.wait();
      if (signal?.aborted) return;
    }
  } finally {
    wakeup?.close();
    await closeLogFiles(files);
    await held?.handle.close().catch(() => undefined);
  }
}

/** The accepted entries of the complete lines from the cursor's offset to the end of its file. */
async function* accepted(cursor: LogCursor, accept: (line: Buffer) => LogEntry | undefined): AsyncGenerator<LogEntry> {
  for await (const line of cursor.lines()) {
    const entry = accept(line);
    if (entry !== undefined) yield entry;
  }
}

/** The last `n` accepted entries of the files (oldest first), reading backwards from the live file's `liveEnd`. */
async function tailEntries(
  files: readonly OpenLogFile[],
  n: number,
  liveEnd: number,
  accept: (line: Buffer) => LogEntry | undefined,
): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for (let i = files.length - 1; i >= 0 && out.length < n; i--) {
    const file = files[i] as OpenLogFile;
    const end = i === files.length - 1 ? liveEnd : await completeEnd(file.handle, (await file.handle.stat()).size);
    for await (const line of linesBackward(file.handle, end)) {
      const entry = accept(line);
      if (entry === undefined) continue;
      out.push(entry);
      if (out.length >= n) break;
    }
  }
  return out.reverse();
}

async function liveIno(dir: string): Promise<number | undefined> {
  return stat(join(dir, LOG_FILE_NAME)).then(
    (s) => s.ino,
    () => undefined,
  );
}

/**
 * The file written after `held`, opened at its start: the next newer file in a consistent picture of the dir,
 * or the oldest file when `held` is gone (rotated out) or there was none. `undefined` when there is none yet.
 */
async function successor(dir: string, held: LogCursor | undefined): Promise<LogCursor | undefined> {
  const files = await openLogFiles(dir);
  const at = held === undefined ? -1 : files.findIndex((f) => f.ino === held.ino);
  const pick = files[at + 1];
  await closeLogFiles(files.filter((f) => f !== pick));
  return pick === undefined ? undefined : new LogCursor(pick.handle, pick.ino, 0);
}

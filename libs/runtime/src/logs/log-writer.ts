import { open, rename, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { InvalidSpecError, InvalidStateError } from "../errors.js";
import type { LogEntry, LogSpec } from "../types.js";
import { LineSplitter } from "./line-splitter.js";
import { LOG_DEFAULTS, LOG_FILE_NAME, encodeLogEntry, formatLogTime, logFileName, wallClockNs } from "./log-format.js";

/** Options of a {@link LogWriter}: the container's LogSpec plus the clock stamping entries (epoch ns). */
export interface LogWriterOptions extends LogSpec {
  now?: () => bigint;
}

/**
 * Writes a container's output to its log dir in Docker's json-file format, rotating files as the container
 * shim does: when the live file would pass `maxSizeBytes`, `container.log.<n-1>` becomes `.<n>` (the oldest
 * dropped), the live file becomes `.1`, and a new live file starts. With `maxFiles` 1 the live file is replaced.
 * An entry larger than `maxSizeBytes` still goes whole into a file of its own.
 *
 * Invariant for readers: a file is complete when it is renamed; only whole lines are appended, one write each.
 * Calls are applied in order; each resolves when its data is in the file.
 */
export class LogWriter {
  private readonly splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  private queue: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private handle: FileHandle,
    private size: number,
    private readonly maxSizeBytes: number,
    private readonly maxFiles: number,
    private readonly now: () => bigint,
  ) {}

  /**
   * Opens the live file of `dir` for appending (creating it; the dir must exist).
   *
   * @throws InvalidSpecError naming `log.maxSizeBytes` or `log.maxFiles` when not a positive integer.
   */
  static async open(dir: string, options: LogWriterOptions = {}): Promise<LogWriter> {
    const maxSizeBytes = options.maxSizeBytes ?? LOG_DEFAULTS.maxSizeBytes;
    const maxFiles = options.maxFiles ?? LOG_DEFAULTS.maxFiles;
    if (!Number.isSafeInteger(maxSizeBytes) || maxSizeBytes < 1) {
      throw new InvalidSpecError("log.maxSizeBytes", `must be a positive whole number of bytes, got ${maxSizeBytes}`);
    }
    if (!Number.isSafeInteger(maxFiles) || maxFiles < 1 || maxFiles > 100) {
      throw new InvalidSpecError(
        "log.maxFiles",
        `must be a whole number from 1 to 100 (the live file included), got ${maxFiles}`,
      );
    }
    const handle = await open(join(dir, LOG_FILE_NAME), "a");
    const { size } = await handle.stat();
    return new LogWriter(dir, handle, size, maxSizeBytes, maxFiles, options.now ?? wallClockNs);
  }

  /** Appends output of a stream; complete lines are written at once, a partial line waits for the rest. */
  write(stream: LogEntry["stream"], data: string | Uint8Array): Promise<void> {
    return this.enqueue(() => {
      const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
      return this.append(stream, this.splitters[stream].push(bytes));
    });
  }

  /** Writes partial lines still pending (as entries without newline), stdout first. */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      for (const stream of ["stdout", "stderr"] as const) {
        const partial = this.splitters[stream].takePartial();
        if (partial !== undefined) await this.append(stream, [partial]);
      }
    });
  }

  /** Flushes and closes the file. Later writes are refused. */
  async close(): Promise<void> {
    await this.flush();
    await this.enqueue(async () => {
      this.closed = true;
      await this.handle.close();
    });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => {
      if (this.closed) {
        throw new InvalidStateError(
          this.dir,
          "closed",
          `runtime: the log writer of ${this.dir} is closed; open a new one to write`,
        );
      }
      return op();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Writes entries, batching those that go into the same file and rotating between batches. */
  private async append(stream: LogEntry["stream"], lines: string[]): Promise<void> {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.from(encodeLogEntry({ time: formatLogTime(this.now()), stream, line }), "utf8");
      if (this.size + batchBytes > 0 && this.size + batchBytes + bytes.length > this.maxSizeBytes) {
        await this.writeOut(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        await this.rotate();
      }
      batch.push(bytes);
      batchBytes += bytes.length;
    }
    await this.writeOut(batch, batchBytes);
  }

  private async writeOut(batch: Buffer[], bytes: number): Promise<void> {
    if (bytes === 0) return;
    await this.handle.write(Buffer.concat(batch, bytes));
    this.size += bytes;
  }

  private async rotate(): Promise<void> {
    await this.handle.close();
    const live = join(this.dir, LOG_FILE_NAME);
    if (this.maxFiles === 1) {
      await rm(live, { force: true });
    } else {
      for (let n = this.maxFiles - 1; n >= 2; n--) {
        await rename(join(this.dir, logFileName(n - 1)), join(this.dir, logFileName(n))).catch(ignoreMissing);
      }
      await rename(live, join(this.dir, logFileName(1)));
    }
    this.handle = await open(live, "a");
    this.size = 0;
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
}

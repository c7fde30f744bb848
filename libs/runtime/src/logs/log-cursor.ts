import type { FileHandle } from "node:fs/promises";

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads complete lines of one open log file forward from `offset`. The offset only moves past lines that
 * ended with `\n`, so a torn last line is read again, whole, once its writer has finished it.
 */
export class LogCursor {
  constructor(
    readonly handle: FileHandle,
    readonly ino: number,
    /** Byte offset of the next line to read. */
    public offset: number,
  ) {}

  /** Yields each complete line (without `\n`) from the offset to the current end of the file. */
  async *lines(): AsyncGenerator<Buffer> {
    const buf = Buffer.allocUnsafe(CHUNK);
    let partial: Buffer[] = [];
    let position = this.offset;
    for (;;) {
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      const data = buf.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
        const line = Buffer.concat([...partial, data.subarray(start, nl)]);
        partial = [];
        start = nl + 1;
        this.offset += line.length + 1;
        yield line;
      }
      if (start < bytesRead) partial.push(Buffer.from(data.subarray(start)));
    }
  }
}

/** The offset just past the last `\n` before `size` (0 when there is none): where complete lines end. */
export async function completeEnd(handle: FileHandle, size: number): Promise<number> {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - CHUNK);
    const { bytesRead } = await handle.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

/**
 * Yields the lines (without `\n`) of the file's first `end` bytes, last first, reading backwards in chunks:
 * the cost is that of the lines consumed, not of the file. `end` must be a line end (see {@link completeEnd}).
 */
export async function* linesBackward(handle: FileHandle, end: number): AsyncGenerator<Buffer> {
  // `carry` is the start of the file's unread region's last line: bytes from a line's middle to its `\n`.
  let carry: Buffer = Buffer.alloc(0);
  for (let position = end; position > 0;) {
    const start = Math.max(0, position - CHUNK);
    const chunk = Buffer.allocUnsafe(position - start);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, start);
    position = start;
    const buf = Buffer.concat([chunk.subarray(0, bytesRead), carry]);
    // Index of the `\n` ending the line being cut out; buf always ends with one.
    let lineEnd = buf.length - 1;
    while (lineEnd > 0) {
      const prev = buf.lastIndexOf(NEWLINE, lineEnd - 1);
      if (prev < 0) break;
      yield buf.subarray(prev + 1, lineEnd);
      lineEnd = prev;
    }
    carry = buf.subarray(0, lineEnd + 1);
  }
  if (carry.length > 0) yield carry.subarray(0, carry.length - 1);
}

import { MAX_LINE_BYTES } from "./log-format.js";

/**
 * Cuts a stream's output into log lines; pure. Bytes are buffered until a newline, or until
 * {@link MAX_LINE_BYTES} are pending, when a piece without newline is cut (at a UTF-8 character boundary, so no
 * character is split across pieces).
 */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** Adds output; returns the complete lines (with `\n`) and full-size pieces (without) it finished. */
  push(data: Uint8Array): string[] {
    let buf = this.pending.length === 0 ? Buffer.from(data) : Buffer.concat([this.pending, data]);
    const out: string[] = [];
    for (;;) {
      const nl = buf.indexOf(0x0a);
      const limit = Math.min(buf.length, this.maxLineBytes);
      if (nl >= 0 && nl < limit) {
        out.push(buf.subarray(0, nl + 1).toString("utf8"));
        buf = buf.subarray(nl + 1);
      } else if (buf.length >= this.maxLineBytes) {
        const cut = charBoundary(buf, this.maxLineBytes);
        out.push(buf.subarray(0, cut).toString("utf8"));
        buf = buf.subarray(cut);
      } else {
        break;
      }
    }
    this.pending = Buffer.from(buf);
    return out;
  }

  /** The pending partial line, if any, which is then dropped from the buffer (for flush at exit). */
  takePartial(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const text = this.pending.toString("utf8");
    this.pending = Buffer.alloc(0);
    return text;
  }
}

/** The largest cut position <= `at` that does not split a UTF-8 character (`at` itself if none is found). */
function charBoundary(buf: Buffer, at: number): number {
  let cut = at;
  // A continuation byte (10xxxxxx) at the cut means a character started before it: back off at most 3 bytes.
  while (cut > at - 3 && cut > 0 && ((buf[cut] as number) & 0xc0) === 0x80) cut -= 1;
  return ((buf[cut] as number) & 0xc0) === 0x80 ? at : cut;
}

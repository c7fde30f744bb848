import type { ProgressView } from "./progress.js";

/**
 * Turns successive progress views into text to write. On a terminal the block is redrawn in place (cursor up,
 * clear to the end); otherwise only lines that changed since they were last printed are written, so a log
 * shows each step once.
 */
export class ProgressRenderer {
  private drawn = 0;
  private readonly last = new Map<number, string>();

  constructor(private readonly tty: boolean) {}

  /** The text that shows `view`. */
  render(view: ProgressView): string {
    const block = [view.overall, ...view.lines];
    if (this.tty) {
      const up = this.drawn > 0 ? `\x1b[${this.drawn}A\x1b[J` : "";
      this.drawn = block.length;
      return `${up}${block.join("\n")}\n`;
    }
    let out = "";
    block.forEach((l, i) => {
      if (this.last.get(i) === l) return;
      this.last.set(i, l);
      out += `${l}\n`;
    });
    return out;
  }
}

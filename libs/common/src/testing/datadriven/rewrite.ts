import { DatadrivenError } from "./errors.js";
import { SEPARATOR, type ParsedDirective } from "./parse-file.js";

/** Normalises a handler's output to end with exactly one newline; empty (or only newlines) stays "". */
export function normalizeOutput(output: string): string {
  const trimmed = output.replace(/\n+$/, "");
  return trimmed === "" ? "" : `${trimmed}\n`;
}

/**
 * Renders a normalised output as the block written after a directive: `----` and the output, or, when the output
 * holds a blank line (or starts with `----`), the output between `----`/`----` pairs. Throws when the output
 * cannot be written so that it reads back the same (two consecutive `----` lines in an output that needs the
 * double form, or one as its last line).
 */
export function renderOutput(output: string, pos: string): string {
  if (output === "") return `${SEPARATOR}\n`;
  const lines = output.slice(0, -1).split("\n");
  const needsDouble = lines[0] === SEPARATOR || lines.some((l) => l.trim() === "");
  if (!needsDouble) return `${SEPARATOR}\n${output}`;
  const pairAt = lines.findIndex((l, i) => l === SEPARATOR && lines[i + 1] === SEPARATOR);
  if (pairAt !== -1 || lines[lines.length - 1] === SEPARATOR) {
    throw new DatadrivenError(
      pos,
      'cannot write this output: it has blank lines and a "----" line that would end it early; ' +
        "change the handler's output",
    );
  }
  return `${SEPARATOR}\n${SEPARATOR}\n${output}${SEPARATOR}\n${SEPARATOR}\n`;
}

function nextLineIsBlankOrEnd(text: string, at: number): boolean {
  if (at >= text.length) return true;
  const nl = text.indexOf("\n", at);
  return text.slice(at, nl === -1 ? text.length : nl).trim() === "";
}

/**
 * Returns `text` with the output block of every directive whose `actual` output (normalised) differs from its
 * expected one replaced by the rendering of `actual`. Everything else (comments, blank lines, directives,
 * inputs, and up-to-date blocks in whatever form they were written) is kept byte for byte, so rewriting an
 * up-to-date file returns it unchanged.
 *
 * A replaced single-separator block is followed by a blank line when the next line is not blank, since such a
 * block only ends at a blank line or the end of the file.
 */
export function rewriteScenario(
  text: string,
  directives: readonly ParsedDirective[],
  actual: readonly string[],
): string {
  if (actual.length !== directives.length) {
    throw new RangeError(`datadriven: ${directives.length} directives but ${actual.length} outputs`);
  }
  let out = "";
  let cursor = 0;
  directives.forEach((d, i) => {
    const output = actual[i] ?? "";
    out += text.slice(cursor, d.outStart);
    cursor = d.outEnd;
    if (output === d.expected) {
      out += text.slice(d.outStart, d.outEnd);
      return;
    }
    // A directive without a block at the end of a file that lacks a final newline.
    if (d.outStart === text.length && text !== "" && !text.endsWith("\n")) out += "\n";
    const block = renderOutput(output, d.pos);
    out += block;
    const double = block.startsWith(`${SEPARATOR}\n${SEPARATOR}\n`);
    if (!double && !nextLineIsBlankOrEnd(text, d.outEnd)) out += "\n";
  });
  return out + text.slice(cursor);
}

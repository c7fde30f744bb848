import { DatadrivenError } from "./errors.js";
import { parseDirectiveLine, type CmdArg } from "./parse-line.js";

/** The separator between a directive (with its input) and its expected output. */
export const SEPARATOR = "----";

/**
 * One directive of a scenario file, with where its output block sits in the file's text. The block runs from
 * the `----` line to the end of the last output line (or of the closing `----`/`----` pair); the blank line
 * that ends a single-separator block is not part of it. With no `----` at all the block is empty, at the end.
 */
export interface ParsedDirective {
  /** `file:line` of the directive line. */
  readonly pos: string;
  /** The directive line(s) as written, trimmed; continuation lines joined with a space. */
  readonly directive: string;
  readonly cmd: string;
  readonly args: readonly CmdArg[];
  readonly input: string;
  /** The expected output: every line followed by a newline; "" when the block is empty. */
  readonly expected: string;
  /** Offset in the text where the output block starts. */
  readonly outStart: number;
  /** Offset in the text just past the output block (past its last newline, if it has one). */
  readonly outEnd: number;
}

interface Line {
  readonly text: string;
  readonly start: number;
  /** Offset just past the line's newline (or the end of the text for a last line without one). */
  readonly next: number;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    const next = nl === -1 ? text.length : nl + 1;
    lines.push({ text: text.slice(start, end), start, next });
    start = next;
  }
  return lines;
}

const isBlank = (line: Line | undefined): boolean => line !== undefined && line.text.trim() === "";

/** Drops leading and trailing blank lines; keeps the indentation of the lines in between. */
function trimBlankLines(lines: readonly string[]): string {
  let from = 0;
  let to = lines.length;
  while (from < to && lines[from]?.trim() === "") from++;
  while (to > from && lines[to - 1]?.trim() === "") to--;
  return lines.slice(from, to).join("\n");
}

/**
 * Parses a scenario file in the datadriven format: directives `cmd args...`, optional input lines, `----`, the
 * expected output up to the first blank line, or, between `----`/`----` and `----`/`----`, output that itself
 * holds blank lines. Lines starting with `#` and blank lines between directives are skipped; a directive line
 * ending in `\` continues on the next line. `name` is used in positions (`name:line`).
 *
 * NB: lines end with "\n" only; a "\r" before it is part of the line.
 */
export function parseScenario(text: string, name: string): ParsedDirective[] {
  const lines = splitLines(text);
  const out: ParsedDirective[] = [];
  const posOf = (i: number): string => `${name}:${i + 1}`;
  let i = 0;
  while (i < lines.length) {
    const first = i;
    let directive = (lines[i]?.text ?? "").trim();
    i++;
    if (directive === "" || directive.startsWith("#")) continue;
    while (directive.endsWith("\\") && i < lines.length) {
      directive = `${directive.slice(0, -1).trimEnd()} ${(lines[i]?.text ?? "").trim()}`.trim();
      i++;
    }
    const pos = posOf(first);
    const { cmd, args } = parseDirectiveLine(directive, pos);

    const input: string[] = [];
    while (i < lines.length && lines[i]?.text !== SEPARATOR) input.push(lines[i++]?.text ?? "");
    const base = { pos, directive, cmd, args, input: trimBlankLines(input) };
    const sepIndex = i;
    const sep = lines[sepIndex];
    if (sep === undefined) {
      out.push({ ...base, expected: "", outStart: text.length, outEnd: text.length });
      continue;
    }
    i++;
    const expected: string[] = [];
    let outEnd = sep.next;
    if (lines[i]?.text === SEPARATOR) {
      // Double separator: the output ends at the first two consecutive `----` lines.
      i++;
      for (;;) {
        const line = lines[i];
        if (line === undefined) {
          const opened = posOf(sepIndex);
          throw new DatadrivenError(
            pos,
            `the output opened by "----" twice at ${opened} is never closed by two "----"`,
          );
        }
        const closing = lines[i + 1];
        if (line.text === SEPARATOR && closing?.text === SEPARATOR) {
          outEnd = closing.next;
          i += 2;
          break;
        }
        expected.push(line.text);
        i++;
      }
    } else {
      while (i < lines.length && !isBlank(lines[i])) {
        const line = lines[i++];
        if (line === undefined) break;
        expected.push(line.text);
        outEnd = line.next;
      }
    }
    const expectedText = expected.map((l) => `${l}\n`).join("");
    out.push({ ...base, expected: expectedText, outStart: sep.start, outEnd });
  }
  return out;
}

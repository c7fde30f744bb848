import { DatadrivenError } from "./errors.js";

/**
 * One argument of a directive line: `key` (no values), `key=value` (one value) or `key=(v1, v2)` (a list).
 * `key=` gives one empty value; `key=()` gives no values.
 */
export interface CmdArg {
  readonly key: string;
  readonly vals: readonly string[];
}

/** A parsed directive line: the command (first word) and its arguments in order. */
export interface ParsedLine {
  readonly cmd: string;
  readonly args: readonly CmdArg[];
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t";

/**
 * Parses a directive line such as `propose id=1 data=(a, b) sync`. List values are trimmed and may contain
 * nested parentheses (`exprs=(f(a, b), c)` gives `f(a, b)` and `c`). `pos` (`file:line`) prefixes errors,
 * which also name the column and the argument at fault.
 */
export function parseDirectiveLine(line: string, pos: string): ParsedLine {
  const text = line.trim();
  let at = 0;
  const fail = (what: string): never => {
    throw new DatadrivenError(pos, `cannot parse directive at column ${at + 1}: ${what}: ${text}`);
  };
  const until = (stop: (c: string) => boolean): string => {
    const start = at;
    while (at < text.length && !stop(text.charAt(at))) at++;
    return text.slice(start, at);
  };
  const skipSpaces = (): void => {
    while (isSpace(text[at])) at++;
  };

  const cmd = until(isSpace);
  if (cmd === "") fail("missing command");
  const args: CmdArg[] = [];
  skipSpaces();
  while (at < text.length) {
    const key = until((c) => isSpace(c) || c === "=");
    if (key === "") fail("argument without a name");
    if (text[at] !== "=") {
      args.push({ key, vals: [] });
    } else {
      at++;
      if (at >= text.length || isSpace(text[at])) {
        args.push({ key, vals: [""] });
      } else if (text[at] !== "(") {
        args.push({ key, vals: [until(isSpace)] });
      } else {
        at++;
        args.push({ key, vals: parseList(key) });
      }
    }
    skipSpaces();
  }
  return { cmd, args };

  // Reads `v1, v2)` after the opening parenthesis; commas and ')' inside nested parentheses belong to the value.
  function parseList(key: string): string[] {
    const vals: string[] = [];
    const open = at - 1;
    let depth = 0;
    let start = at;
    for (; at < text.length; at++) {
      const c = text.charAt(at);
      if (c === "(") {
        depth++;
      } else if (c === ")" && depth > 0) {
        depth--;
      } else if (depth === 0 && (c === "," || c === ")")) {
        vals.push(text.slice(start, at).trim());
        start = at + 1;
        if (c === ")") {
          at++;
          if (at < text.length && !isSpace(text[at])) fail(`text right after the list of "${key}"`);
          // `key=()` is the empty list, not a list holding one empty string.
          return vals.length === 1 && vals[0] === "" ? [] : vals;
        }
      }
    }
    at = open;
    return fail(`unclosed "(" in the value of "${key}"`);
  }
}

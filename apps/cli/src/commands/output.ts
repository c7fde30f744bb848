import { ApiError } from "@shoal/api";
import type { OptionDef, ParsedArgs } from "../args/parser.js";
import type { Context } from "../context.js";
import { choice } from "../spec/values.js";

/** `--format table|json` and `-q` of every list command. */
export const LIST_OPTIONS: readonly OptionDef[] = [
  { name: "format", type: "string", value: "FORMAT", help: "Output: table (default) or json (the API objects)" },
  { name: "quiet", short: "q", type: "boolean", help: "Only display IDs" },
];

/** Prints a list as `-q` ids, `--format json`, or the table. */
export function printList<T>(
  ctx: Context,
  p: ParsedArgs,
  items: readonly T[],
  id: (x: T) => string,
  table: () => string,
): void {
  const format = choice("format", p.string("format") ?? "table", ["table", "json"] as const);
  if (p.flag("quiet")) ctx.out(items.map((x) => `${id(x)}\n`).join(""));
  else if (format === "json") ctx.json(items);
  else ctx.out(table());
}

/** The positional arguments, at least `min` of them, or a UsageError naming what is missing. */
export function requireArgs(p: ParsedArgs, min: number, what: string): readonly string[] {
  if (p.positionals.length < min) throw p.usage(`requires at least ${min} argument${min > 1 ? "s" : ""}: ${what}`);
  return p.positionals;
}

/** Exactly one positional argument. */
export function oneArg(p: ParsedArgs, what: string): string {
  if (p.positionals.length !== 1) throw p.usage(`requires exactly 1 argument: ${what}`);
  return p.positionals[0] as string;
}

/**
 * Runs `send` with the object's current version; if another writer got there first (409), fetches the object
 * again and retries once, so a concurrent unrelated change does not fail the command.
 */
export async function withVersionRetry<O extends { version: number }, R>(
  get: () => Promise<O>,
  send: (current: O) => Promise<R>,
): Promise<R> {
  try {
    return await send(await get());
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
    return send(await get());
  }
}

/**
 * Runs `action` for each ref, printing errors (`Error: ...`) without stopping; returns the exit code (1 if any
 * failed), as `docker service rm a b` does.
 */
export async function forEachRef(
  ctx: Context,
  refs: readonly string[],
  action: (ref: string) => Promise<void>,
): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await action(ref);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.err(`Error: ${e.describe()}\n`);
      code = 1;
    }
  }
  return code;
}

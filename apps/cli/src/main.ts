import { ApiError } from "@shoal/api";
import { parseArgs } from "./args/parser.js";
import { COMMANDS } from "./commands/index.js";
import { Context, GLOBAL_OPTIONS, type CliIo, type Command } from "./context.js";
import { CliError, UsageError } from "./errors.js";
import { commandHelp, groupHelp } from "./help.js";

/** Finds the command `argv` names: the longest match of its leading words (aliases included). */
export function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const c of COMMANDS) {
    const words = c.name.split(" ");
    const names = [c.name, ...(c.aliases ?? []).map((a) => [...words.slice(0, -1), a].join(" "))];
    for (const n of names) {
      const w = n.split(" ");
      if (w.every((x, i) => argv[i] === x)) return { command: c, rest: argv.slice(w.length) };
    }
  }
  return undefined;
}

function defaultIo(): CliIo {
  const ac = new AbortController();
  process.once("SIGINT", () => ac.abort());
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: ac.signal };
}

/** Prints an error the way scripts and people expect it, and returns the exit code. */
function report(io: CliIo, e: unknown, command: string): number {
  if (e instanceof UsageError) {
    io.stderr.write(`Error: ${e.message}\nSee 'shoal ${e.command ?? command} --help'.\n`);
    return 2;
  }
  if (e instanceof ApiError || e instanceof CliError) {
    io.stderr.write(`Error: ${e.describe()}\n`);
    return 1;
  }
  io.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/**
 * Runs the `shoal` command line `argv` (without `node` and the script) and returns the exit code: 0 on
 * success, 1 when the operation failed, 2 for a bad command line. `io` replaces the process's streams.
 */
export async function main(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  const found = findCommand(argv);
  if (!found) {
    const group = argv[0] !== undefined && COMMANDS.some((c) => c.name.startsWith(`${argv[0]} `)) ? argv[0] : "";
    const asked = argv.length === 0 || argv.includes("--help") || argv.includes("-h") || (group !== "" && argv.length === 1);
    if (asked) {
      io.stdout.write(groupHelp(COMMANDS, group));
      return 0;
    }
    const what = group ? `${group} ${argv[1] ?? ""}` : (argv[0] ?? "");
    io.stderr.write(`Error: unknown command "${what.trim()}"\nSee 'shoal ${group ? `${group} ` : ""}--help'.\n`);
    return 2;
  }
  const { command, rest } = found;
  try {
    const args = parseArgs(rest, { ...command.syntax, options: [...command.syntax.options, ...GLOBAL_OPTIONS] }, command.name);
    if (args.flag("help")) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    return await command.run(new Context(io, args), args);
  } catch (e) {
    return report(io, e, command.name);
  }
}

import { ApiError } from "@shoal/api";
import { ShoalError } from "@shoal/common/errors";
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

/**
 * The process's streams. Unless the command is a foreground daemon (which stops cleanly on SIGINT itself), the
 * first Ctrl-C aborts `signal` (progress and follow displays stop and report) and exits with 130 if the
 * command has not ended a moment later; a second Ctrl-C exits at once.
 */
function processIo(command: Command | undefined): CliIo {
  const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
  if (command?.foreground) return io;
  const ac = new AbortController();
  process.on("SIGINT", () => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
    setTimeout(() => process.exit(130), 2_000).unref();
  });
  return { ...io, signal: ac.signal };
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
  if (e instanceof ShoalError) {
    io.stderr.write(`Error: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ""}\n`);
    return 1;
  }
  io.stderr.write(`Error: ${e instanceof Error ? e.message : String(e)}\n`);
  return 1;
}

/**
 * Runs the `shoal` command line `argv` (without `node` and the script) and returns the exit code: 0 on
 * success, 1 when the operation failed, 2 for a bad command line. `io` replaces the process's streams.
 */
export async function main(argv: readonly string[], given?: CliIo): Promise<number> {
  const found = findCommand(argv);
  const io = given ?? processIo(found?.command);
  if (!found) {
    const group = argv[0] !== undefined && COMMANDS.some((c) => c.name.startsWith(`${argv[0]} `)) ? argv[0] : "";
    const asked =
      argv.length === 0 || argv.includes("--help") || argv.includes("-h") || (group !== "" && argv.length === 1);
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
    const args = parseArgs(
      rest,
      { ...command.syntax, options: [...command.syntax.options, ...GLOBAL_OPTIONS] },
      command.name,
    );
    if (args.flag("help")) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    const ctx = new Context(io, args);
    try {
      return await command.run(ctx, args);
    } finally {
      await ctx.close();
    }
  } catch (e) {
    return report(io, e, command.name);
  }
}

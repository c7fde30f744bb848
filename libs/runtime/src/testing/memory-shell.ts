import { InvalidSpecError } from "../errors.js";
import { parseSignal } from "./memory-signals.js";

/**
 * The command language of the in-memory executor: a tiny subset of what busybox runs, so one test can run against
 * the twin and the real runtime. Programs: `sleep N` (seconds, fractions allowed), `echo [-n] ...`, `true`,
 * `false`, `cat` (copies stdin), `env`, `touch PATH...`, `rm [-f] PATH...`, `test -e|-f PATH` (also as
 * `[ -e PATH ]`; files exist only as names a container touched, for health checks a test flips), and
 * `sh -c "script"`; programs may be named by path (`/bin/sleep`) or as `busybox <applet>`.
 * A script is simple commands separated by `;` or newlines, with single and double quotes, backslash escapes,
 * `#` comments, the builtins `exit [N]`, `:`, `trap "" SIG...` / `trap - SIG...`, and the redirections `>&2`,
 * `1>&2`, `2>&1`, `>/dev/null`, `2>/dev/null`. Anything else (pipes, `&&`, `$VAR`, unknown programs) is refused
 * when parsed, with InvalidSpecError, rather than behaving differently from a real shell.
 */

/** Where a stream of a simple command goes. */
export type StreamTarget = "stdout" | "stderr" | "null";

/** One parsed command with its redirections. */
export interface SimpleCommand {
  argv: string[];
  stdout: StreamTarget;
  stderr: StreamTarget;
}

/** A parsed program: the commands the process runs in order. */
export interface Program {
  commands: SimpleCommand[];
}

const PROGRAMS = new Set(["sleep", "echo", "true", "false", "cat", "env", "touch", "rm", "test", "["]);
const BUILTINS = new Set(["exit", ":", "trap"]);
const SUPPORTED =
  "sleep, echo, true, false, cat, env, touch, rm, test -e, and sh -c with `;`-separated simple commands";

/** Parses a process's argv (entrypoint + cmd). Throws InvalidSpecError naming `field` for what is not supported. */
export function parseProgram(argv: readonly string[], field: string): Program {
  const args = [...argv];
  if (args.length > 0 && baseName(args[0] ?? "") === "busybox") args.shift();
  const name = baseName(args[0] ?? "");
  if (args.length === 0) throw new InvalidSpecError(field, "no command to run; set the image's Cmd or the spec's cmd");
  if (name === "sh") {
    if (args.length === 1) return { commands: [] }; // reads commands from stdin, which is empty
    if (args[1] !== "-c" || args[2] === undefined) {
      throw new InvalidSpecError(
        field,
        `the in-memory executor runs sh only as \`sh -c "script"\`, got ${JSON.stringify(argv)}`,
      );
    }
    return { commands: parseScript(args[2], field) };
  }
  const command: SimpleCommand = { argv: [name, ...args.slice(1)], stdout: "stdout", stderr: "stderr" };
  checkCommand(command, false, field);
  return { commands: [command] };
}

/** Splits a script into simple commands (see the module comment for the accepted syntax). */
export function parseScript(script: string, field: string): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let cmd: SimpleCommand = { argv: [], stdout: "stdout", stderr: "stderr" };
  let word: string | undefined;
  const fail = (why: string): never => {
    throw new InvalidSpecError(
      field,
      `${why} in ${JSON.stringify(script)}; the in-memory executor's shell supports ${SUPPORTED}`,
    );
  };
  const endWord = (): void => {
    if (word !== undefined) cmd.argv.push(word);
    word = undefined;
  };
  const endCommand = (): void => {
    endWord();
    if (cmd.argv.length > 0) commands.push(cmd);
    else if (cmd.stdout !== "stdout" || cmd.stderr !== "stderr") fail("a redirection without a command");
    cmd = { argv: [], stdout: "stdout", stderr: "stderr" };
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i] as string;
    if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) fail("an unterminated single quote");
      word = (word ?? "") + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = "";
      for (i++; i < script.length && script[i] !== '"'; i++) {
        const d = script[i] as string;
        if (d === "$" || d === "`") fail(`an expansion (${d})`);
        if (d === "\\" && i + 1 < script.length && '"\\$`'.includes(script[i + 1] as string)) text += script[++i];
        else text += d;
      }
      if (i >= script.length) fail("an unterminated double quote");
      word = (word ?? "") + text;
    } else if (c === "\\") {
      if (i + 1 < script.length) word = (word ?? "") + script[++i];
    } else if (c === " " || c === "\t") {
      endWord();
    } else if (c === ";" || c === "\n") {
      endCommand();
    } else if (c === "#" && word === undefined) {
      while (i + 1 < script.length && script[i + 1] !== "\n") i++;
    } else if (c === ">") {
      const fd = word ?? "1";
      if (fd !== "1" && fd !== "2") fail(`a redirection after ${JSON.stringify(fd)}`);
      word = undefined;
      let target = "";
      while (i + 1 < script.length && !" \t;\n".includes(script[i + 1] as string)) target += script[++i];
      const to: StreamTarget | undefined =
        target === "/dev/null" ? "null" : target === "&2" ? "stderr" : target === "&1" ? "stdout" : undefined;
      if (to === undefined) fail(`the redirection ${fd}>${target}`);
      if (fd === "1") cmd.stdout = to as StreamTarget;
      else cmd.stderr = to as StreamTarget;
    } else if ("|&<()$`{}".includes(c)) {
      fail(`the shell syntax ${JSON.stringify(c)}`);
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand();
  for (const command of commands) checkCommand(command, true, field);
  return commands;
}

/** Checks a command's name and arguments now, so a mistake shows at create time, not as an odd exit later. */
function checkCommand(command: SimpleCommand, inShell: boolean, field: string): void {
  const [name = "", ...args] = command.argv;
  const where = JSON.stringify(command.argv);
  if (!PROGRAMS.has(name) && !(inShell && BUILTINS.has(name))) {
    const what = BUILTINS.has(name)
      ? `${name} is a shell builtin; run it with sh -c`
      : `the in-memory executor does not know ${JSON.stringify(name)}`;
    throw new InvalidSpecError(field, `${what} (in ${where}); it supports ${SUPPORTED}`);
  }
  if (name === "sleep" && (args.length !== 1 || !/^\d+(\.\d+)?$/.test(args[0] ?? ""))) {
    throw new InvalidSpecError(field, `sleep takes one number of seconds, got ${where}`);
  }
  if (name === "exit" && (args.length > 1 || (args[0] !== undefined && !/^\d+$/.test(args[0])))) {
    throw new InvalidSpecError(field, `exit takes an optional status number, got ${where}`);
  }
  if (name === "test" || name === "[") {
    const operands = name === "[" ? (args.at(-1) === "]" ? args.slice(0, -1) : undefined) : args;
    if (operands?.length !== 2 || (operands[0] !== "-e" && operands[0] !== "-f")) {
      throw new InvalidSpecError(
        field,
        `only \`test -e PATH\`, \`test -f PATH\` and \`[ -e PATH ]\` are supported, got ${where}`,
      );
    }
  }
  if ((name === "touch" || name === "rm") && args.filter((a) => a !== "-f").length === 0) {
    throw new InvalidSpecError(field, `${name} needs a path, got ${where}`);
  }
  if (name === "trap") {
    if ((args[0] !== "" && args[0] !== "-") || args.length < 2) {
      throw new InvalidSpecError(
        field,
        `only \`trap "" SIG...\` (ignore) and \`trap - SIG...\` (default) are supported, got ${where}`,
      );
    }
    for (const s of args.slice(1)) parseSignal(s, field);
  }
}

function baseName(program: string): string {
  return program.slice(program.lastIndexOf("/") + 1);
}

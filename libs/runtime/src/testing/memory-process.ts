import type { Clock } from "./memory-clock.js";
import type { Program, SimpleCommand, StreamTarget } from "./memory-shell.js";
import { SIGKILL, ignoredByDefault, parseSignal } from "./memory-signals.js";

/** What a simulated process reads and writes. */
export interface ProcessIo {
  /** Drives `sleep`. */
  clock: Clock;
  /** Receives output as it is produced. */
  write(stream: "stdout" | "stderr", text: string): void;
  /** The whole of stdin (the first `cat` consumes it). */
  stdin?: string;
  /** `NAME=value` entries `env` prints. */
  env?: readonly string[];
  /** The paths that exist, for `touch`, `rm` and `test -e` (shared by a container's processes). */
  files?: Set<string>;
}

/**
 * A process of the in-memory executor: runs a parsed {@link Program} command by command, blocking only in
 * `sleep` (a timer on the injected clock). Exit status is the last command's, or `exit N`'s. A signal ends it
 * with 128 + signal unless the signal is ignored (by `trap ""`, by {@link SimProcess.ignore}, or by default like
 * SIGCHLD); SIGKILL always ends it.
 *
 * NB: signals reach the process as if the runtime ran an init that forwards them; a real container's pid 1
 * without handlers would ignore SIGTERM.
 */
export class SimProcess {
  private readonly ignored = new Set<number>();
  private next = 0;
  private status = 0;
  private timer: unknown;
  private stdin: string;
  private exitCode: number | undefined;
  private started = false;

  constructor(
    private readonly program: Program,
    private readonly io: ProcessIo,
    private readonly onExit: (exitCode: number) => void,
  ) {
    this.stdin = io.stdin ?? "";
  }

  /** The exit code once it has ended. */
  get exited(): number | undefined {
    return this.exitCode;
  }

  /** Runs commands until the first `sleep` or the end. Call once. */
  start(): void {
    if (this.started) throw new Error("SimProcess.start called twice");
    this.started = true;
    this.run();
  }

  /** Makes the process ignore these signals from now on, as `trap "" SIG` would (test hook). */
  ignore(signals: Iterable<number>): void {
    for (const s of signals) if (s !== SIGKILL) this.ignored.add(s);
  }

  /** Delivers a signal; returns true when it ended the process. */
  signal(n: number): boolean {
    if (this.exitCode !== undefined) return false;
    if (n !== SIGKILL && (this.ignored.has(n) || ignoredByDefault(n))) return false;
    this.finish(128 + n);
    return true;
  }

  private run(): void {
    while (this.exitCode === undefined && this.next < this.program.commands.length) {
      const cmd = this.program.commands[this.next++] as SimpleCommand;
      const [name = "", ...args] = cmd.argv;
      switch (name) {
        case "sleep": {
          this.timer = this.io.clock.setTimeout(
            () => {
              this.timer = undefined;
              this.status = 0;
              this.run();
            },
            Math.round(Number(args[0]) * 1000),
          );
          return;
        }
        case "echo": {
          const noNewline = args[0] === "-n";
          this.out(cmd, "stdout", (noNewline ? args.slice(1) : args).join(" ") + (noNewline ? "" : "\n"));
          this.status = 0;
          break;
        }
        case "cat":
          this.out(cmd, "stdout", this.stdin);
          this.stdin = "";
          this.status = 0;
          break;
        case "env":
          this.out(cmd, "stdout", (this.io.env ?? []).map((e) => `${e}\n`).join(""));
          this.status = 0;
          break;
        case "exit":
          this.finish(args[0] === undefined ? this.status : Number(args[0]) & 255);
          return;
        case "trap":
          for (const s of args.slice(1).map((a) => parseSignal(a))) {
            if (args[0] === "") this.ignore([s]);
            else this.ignored.delete(s);
          }
          this.status = 0;
          break;
        case "touch":
          for (const path of args) this.io.files?.add(path);
          this.status = 0;
          break;
        case "rm": {
          const force = args.includes("-f");
          this.status = 0;
          for (const path of args.filter((a) => a !== "-f")) {
            if (this.io.files?.delete(path) || force) continue;
            this.out(cmd, "stderr", `rm: can't remove '${path}': No such file or directory\n`);
            this.status = 1;
          }
          break;
        }
        case "test":
        case "[":
          this.status = this.io.files?.has(args[1] ?? "") ? 0 : 1;
          break;
        case "false":
          this.status = 1;
          break;
        default: // true, :
          this.status = 0;
      }
    }
    if (this.exitCode === undefined) this.finish(this.status);
  }

  private out(cmd: SimpleCommand, stream: "stdout" | "stderr", text: string): void {
    if (text === "") return;
    const target: StreamTarget = stream === "stdout" ? cmd.stdout : cmd.stderr;
    if (target !== "null") this.io.write(target, text);
  }

  private finish(code: number): void {
    if (this.timer !== undefined) this.io.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.exitCode = code;
    this.onExit(code);
  }
}

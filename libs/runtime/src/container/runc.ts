import { spawn, type ChildProcess } from "node:child_process";
import { constants as osConstants } from "node:os";
import { execa } from "execa";
import { MissingDependencyError, OciRuntimeError } from "../errors.js";

/** What `runc state` reports. */
export interface RuncState {
  id: string;
  pid: number;
  status: "creating" | "created" | "running" | "paused" | "stopped";
  bundle: string;
}

/** How a `runc exec` ended: runc passes the process's exit code through (128 + signal when killed). */
export interface ExecOutcome {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Keeps the last `cap` bytes pushed. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly cap: number) {}
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.cap && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.cap)).toString("utf8");
  }
}

/** Options of one `runc exec`. */
export interface RuncExecOptions {
  args: string[];
  env?: string[];
  /** `uid:gid`. */
  user?: string;
  additionalGids?: number[];
  cwd?: string;
  stdin?: string | Uint8Array;
  /** Where runc writes the exec'd process's host pid (to kill it on timeout). */
  pidFile: string;
}

/**
 * A thin client of the `runc` command for one state root. Every method maps a failure to OciRuntimeError
 * carrying runc's stderr, or MissingDependencyError when the binary is absent.
 */
export class RuncClient {
  constructor(
    /** Path of the runc binary. */
    readonly binary: string,
    /** runc's state root (`--root`), private to this runtime. */
    readonly root: string,
  ) {}

  /** Checks that runc runs; returns its version line. */
  async version(): Promise<string> {
    try {
      const r = await execa(this.binary, ["--version"]);
      return r.stdout.split("\n")[0] ?? "";
    } catch (err) {
      throw new MissingDependencyError(
        "runc",
        `runtime: cannot run ${this.binary} (${(err as Error).message.split("\n")[0]}); install the Debian package runc or pass the runc path`,
        { cause: err },
      );
    }
  }

  /** The container's runc state, or undefined when runc does not know it. */
  async state(id: string): Promise<RuncState | undefined> {
    const r = await this.run(["state", id], { reject: false });
    if (r.exitCode !== 0) {
      if (/does not exist|not exist|container .* does not exist/i.test(r.stderr)) return undefined;
      throw this.failure(`state ${id}`, r.stderr);
    }
    return JSON.parse(r.stdout) as RuncState;
  }

  /** Sends a signal to the container's init (`all` to every process of it). */
  async kill(id: string, signal: number, all = false): Promise<void> {
    const r = await this.run(["kill", ...(all ? ["--all"] : []), id, String(signal)], { reject: false });
    if (r.exitCode !== 0 && !/process already finished|container not running|not running/i.test(r.stderr)) {
      throw this.failure(`kill ${id}`, r.stderr);
    }
  }

  /** Deletes the container's state and cgroups; `force` kills it first. Absent containers are fine. */
  async delete(id: string, force = false): Promise<void> {
    const r = await this.run(["delete", ...(force ? ["--force"] : []), id], { reject: false });
    if (r.exitCode !== 0 && !/does not exist|not exist/i.test(r.stderr)) throw this.failure(`delete ${id}`, r.stderr);
  }

  /**
   * Runs `runc exec` in the foreground. Output is capped to the last `outputCap` bytes per stream. The returned
   * child may be killed; the pid file then names the exec'd process inside the container.
   */
  exec(id: string, o: RuncExecOptions, outputCap = 64 * 1024): { child: ChildProcess; done: Promise<ExecOutcome> } {
    const args = ["--root", this.root, "exec", "--pid-file", o.pidFile];
    if (o.user) args.push("--user", o.user);
    for (const g of o.additionalGids ?? []) args.push("--additional-gids", String(g));
    if (o.cwd) args.push("--cwd", o.cwd);
    for (const e of o.env ?? []) args.push("--env", e);
    args.push(id, ...o.args);
    const child = spawn(this.binary, args, { stdio: [o.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    const out = new TailBuffer(outputCap);
    const err = new TailBuffer(outputCap);
    child.stdout?.on("data", (b: Buffer) => out.push(b));
    child.stderr?.on("data", (b: Buffer) => err.push(b));
    if (o.stdin !== undefined && child.stdin) {
      child.stdin.on("error", () => {});
      child.stdin.end(o.stdin);
    }
    const done = new Promise<ExecOutcome>((resolve, reject) => {
      child.once("error", (e) =>
        reject(new MissingDependencyError("runc", `runtime: cannot run ${this.binary}: ${e.message}`, { cause: e })),
      );
      child.once("close", (code, signal) =>
        resolve({
          exitCode: code ?? 128 + (signal ? (osConstants.signals[signal] ?? 9) : 9),
          stdout: out.text(),
          stderr: err.text(),
        }),
      );
    });
    return { child, done };
  }

  private run(args: string[], options: { reject: false }) {
    return execa(this.binary, ["--root", this.root, ...args], options).catch((err: unknown) => {
      throw new MissingDependencyError("runc", `runtime: cannot run ${this.binary}: ${(err as Error).message}`, {
        cause: err,
      });
    });
  }

  private failure(what: string, stderr: string): OciRuntimeError {
    return new OciRuntimeError(`runtime: runc ${what} failed: ${lastRuncMessage(stderr)}`, stderr);
  }
}

/** The human part of runc's last error line (`time=... level=error msg="..."` or plain text). */
export function lastRuncMessage(stderr: string): string {
  const lines = stderr
    .trim()
    .split("\n")
    .filter((l) => l.trim() !== "");
  const last = lines[lines.length - 1] ?? "no output";
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(last);
  return m?.[1] ? m[1].replace(/\\"/g, '"') : last;
}

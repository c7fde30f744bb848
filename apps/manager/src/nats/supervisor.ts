import { spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { LoopLog } from "../log.js";

export interface NatsSupervisorOptions {
  /** Where the generated config, pid file and log go. */
  dir: string;
  listenAddr: string;
  port: number;
  binary?: string;
  log: LoopLog;
}

/** What a reload did: how long nats-server took to apply the new config, or why it did not. */
export type ReloadOutcome =
  | { result: "unchanged" }
  | { result: "not running" }
  | { result: "reloaded"; ms: number }
  | { result: "failed"; ms: number; error: string };

/**
 * Runs `nats-server` as a child with the config it is given (written 0600: it holds the route password), restarts
 * it when it dies (backoff 100 ms doubling to 5 s, reset after 30 s up), applies a new config with `reload`
 * (SIGHUP), and stops it on `stop()`. Clients retry their first connect: the server takes a moment to listen.
 */
export class NatsSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoff = 100;
  private restartTimer: NodeJS.Timeout | undefined;
  private config = "";
  readonly configFile: string;
  readonly logFile: string;
  /** The pid file the config must name (`pid_file`): a later manager process finds a leftover server by it. */
  readonly pidFile: string;
  restarts = 0;

  constructor(private readonly o: NatsSupervisorOptions) {
    mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    this.configFile = join(o.dir, "nats.conf");
    this.logFile = join(o.dir, "nats.log");
    this.pidFile = join(o.dir, "nats.pid");
  }

  private writeConfig(config: string): void {
    writeFileSync(this.configFile, config, { mode: 0o600 });
    chmodSync(this.configFile, 0o600);
    this.config = config;
  }

  /**
   * Applies a new config: writes it and signals the running server (SIGHUP), which re-authorizes every client and
   * route and disconnects those no longer authorized, and reads its certificate files again. Resolves when the
   * server's log says it reloaded (or failed to), with the time it took; a config equal to the current one is not
   * applied again unless `force` (the certificate files changed).
   */
  async reload(config: string, o: { force?: boolean; timeoutMs?: number } = {}): Promise<ReloadOutcome> {
    const timeoutMs = o.timeoutMs ?? 10_000;
    if (config === this.config && !o.force) return { result: "unchanged" };
    this.writeConfig(config);
    const child = this.child;
    if (!child?.pid || child.exitCode !== null) return { result: "not running" };
    const from = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const started = performance.now();
    child.kill("SIGHUP");
    for (;;) {
      const ms = Math.round(performance.now() - started);
      const text = readFrom(this.logFile, from);
      if (text.includes("Reloaded server configuration")) return { result: "reloaded", ms };
      const failed = /\[ERR\] (Failed to reload server configuration: .*)/.exec(text);
      if (failed) return { result: "failed", ms, error: failed[1] ?? "" };
      if (ms > timeoutMs || this.child !== child) return { result: "failed", ms, error: "no answer in its log" };
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  get url(): string {
    const host = this.o.listenAddr === "0.0.0.0" ? "127.0.0.1" : this.o.listenAddr;
    return `nats://${host}:${this.o.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Writes `config` and starts the server, first killing one a previous manager process left running (a manager
   * killed with SIGKILL cannot stop its child): it holds the ports, and it runs the old configuration. Restarts
   * use the last config given.
   */
  start(config: string): void {
    this.writeConfig(config);
    this.spawn();
  }

  private spawn(): void {
    this.killLeftover();
    const fd = openSync(this.logFile, "a");
    const child = spawn(this.o.binary ?? "nats-server", ["-c", this.configFile], { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.child = child;
    const startedAt = Date.now();
    child.on("error", (e) =>
      this.o.log.warn("nats-server could not start", {
        error: e.message,
        hint: "install the Debian package nats-server",
      }),
    );
    child.on("exit", (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      if (Date.now() - startedAt > 30_000) this.backoff = 100;
      this.o.log.warn("nats-server exited; restarting", { code, signal, inMs: this.backoff, log: this.logFile });
      this.restarts++;
      this.restartTimer = setTimeout(() => this.spawn(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5_000);
    });
  }

  /**
   * Kills any nats-server still running with this supervisor's config file: the one its pid file names, and any
   * other (a manager killed with SIGKILL leaves its child running, and `cluster leave` may have removed the pid
   * file since). It holds the ports and runs an old configuration, of this node's earlier identity even.
   */
  private killLeftover(): void {
    const recorded = Number(existsSync(this.pidFile) ? readFileSync(this.pidFile, "utf8").trim() : NaN);
    const candidates = new Set<number>(Number.isInteger(recorded) && recorded > 0 ? [recorded] : []);
    for (const entry of readdirSync("/proc")) if (/^\d+$/.test(entry)) candidates.add(Number(entry));
    for (const pid of candidates) {
      if (pid === this.child?.pid || pid === process.pid) continue;
      let cmdline = "";
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      const args = cmdline.split("\0");
      if (!(args[0] ?? "").endsWith("nats-server") || !args.includes(this.configFile)) continue;
      this.o.log.warn("killing the nats-server an earlier manager process left running", { pid });
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        continue;
      }
      waitGone(pid);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

/** Waits (briefly, at most 5 s) until process `pid` is gone or a zombie: its ports are free then. */
function waitGone(pid: number): void {
  const until = Date.now() + 5_000;
  const alive = (): boolean => {
    try {
      return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z");
    } catch {
      return false;
    }
  };
  while (alive() && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}

/** The text of `file` from byte `from` on ("" when it is missing). */
function readFrom(file: string, from: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const size = fstatSync(fd).size;
    if (size <= from) return "";
    const buf = Buffer.alloc(size - from);
    readSync(fd, buf, 0, buf.length, from);
    return buf.toString("utf8");
  } catch {
    return "";
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

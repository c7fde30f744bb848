import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { CliError } from "../errors.js";

/** This package's `shoal` script, which background daemons run. */
export const DEFAULT_CLI_BIN = fileURLToPath(new URL("../../bin/shoal.mjs", import.meta.url));

/** The first non-loopback IPv4 address of this machine, or 127.0.0.1. */
export function defaultAdvertiseAddr(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** Whether a process with this pid exists and runs `shoal <role>` (so a reused pid is not mistaken). */
export function isDaemonAlive(pid: number, role: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(role);
  } catch {
    return false;
  }
}

/** The pid in a pid file if its daemon is alive. */
export function runningPid(pidFile: string, role: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(pid) && pid > 0 && isDaemonAlive(pid, role) ? pid : undefined;
}

/** What a background daemon is: its role word, arguments, log and pid files. */
export interface DaemonLaunch {
  /** `manager` or `agent`: the first argument and the word checked in /proc/<pid>/cmdline. */
  role: string;
  args: string[];
  logFile: string;
  pidFile: string;
  cliBin: string;
}

/**
 * Starts `node <cliBin> <role> <args>` detached from this process, stdout and stderr appended to the log file,
 * and writes its pid file. Returns the pid.
 */
export function spawnDaemon(d: DaemonLaunch): number {
  mkdirSync(dirname(d.logFile), { recursive: true });
  mkdirSync(dirname(d.pidFile), { recursive: true });
  const fd = openSync(d.logFile, "a");
  try {
    const child = spawn(process.execPath, [d.cliBin, d.role, ...d.args], { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined)
      throw new CliError("SHOAL_ERR_SPAWN", `cannot start the ${d.role}: ${process.execPath} did not start`);
    child.unref();
    writeFileSync(d.pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The last `n` lines of a log file, indented, for an error message. */
export function logTail(file: string, n = 15): string {
  try {
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").slice(-n);
    return lines.map((l) => `  | ${l}`).join("\n");
  } catch {
    return "  (no log)";
  }
}

/**
 * Waits until `ready` returns a value (not undefined), polling while the daemon lives. Throws CliError with the
 * log's last lines if the daemon exits first or the deadline passes. NB: polls, as there is no event to wait
 * for from a detached process.
 */
export async function waitForDaemon<T>(
  d: DaemonLaunch,
  pid: number,
  ready: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await ready().catch(() => undefined);
    if (v !== undefined) return v;
    if (!isDaemonAlive(pid, d.role)) {
      rmSync(d.pidFile, { force: true });
      throw new CliError(
        "SHOAL_ERR_DAEMON_EXITED",
        `the ${d.role} exited while starting; last lines of ${d.logFile}:\n${logTail(d.logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new CliError(
        "SHOAL_ERR_TIMEOUT",
        `the ${d.role} (pid ${pid}) did not become ready in ${Math.round(timeoutMs / 1000)} s; last lines of ${d.logFile}:\n${logTail(d.logFile)}`,
        `it is still running; stop it with \`shoal cluster leave --force\``,
      );
    }
    await sleep(200);
  }
}

/** Stops a daemon: SIGTERM, wait for it to exit, SIGKILL after `graceMs`. Resolves when it is gone. */
export async function stopDaemon(pid: number, role: string, graceMs = 20_000): Promise<void> {
  if (!isDaemonAlive(pid, role)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isDaemonAlive(pid, role)) {
    if (Date.now() > deadline) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await sleep(100);
  }
  while (isDaemonAlive(pid, role)) await sleep(50);
}

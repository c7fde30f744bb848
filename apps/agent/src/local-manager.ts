import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AgentLog } from "./log.js";

/** Where and how the node's manager runs: the same files `shoal cluster init/join` use. */
export interface LocalManagerOptions {
  dataDir: string;
  /** The `shoal` CLI script the manager daemon runs from. */
  cliBin: string;
  advertiseAddr: string;
  log: AgentLog;
}

/**
 * Whether a promotion should start a manager here: none runs, and the data dir holds no manager's state but
 * that of a removed one (a manager that crashed is not replaced by a new one: it keeps its identity and is
 * restarted by whoever supervises it).
 */
export function shouldStartManager(dataDir: string): boolean {
  if (localManagerRuns(dataDir)) return false;
  const state = path.join(dataDir, "manager");
  return !existsSync(path.join(state, "manager.json")) || existsSync(path.join(state, "removed.json"));
}

/** Whether a manager daemon runs for the data dir (its pid file names a live `shoal manager`). */
export function localManagerRuns(dataDir: string): boolean {
  const file = path.join(dataDir, "manager.pid");
  if (!existsSync(file)) return false;
  const pid = Number(readFileSync(file, "utf8").trim());
  try {
    return Number.isInteger(pid) && pid > 0 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("manager");
  } catch {
    return false;
  }
}

/**
 * Starts the node's manager after a promotion: `shoal manager --join <managers> --token <manager token>` in
 * the background, with its log and pid file where `shoal cluster init` puts them. State a manager of this node
 * left when it was demoted is moved aside first (its Raft id was removed for good; the new manager gets
 * another).
 */
export function startLocalManager(o: LocalManagerOptions, join: { managers: readonly string[]; token: string }): number {
  const state = path.join(o.dataDir, "manager");
  if (existsSync(path.join(state, "manager.json"))) {
    const aside = `${state}.demoted-${Date.now()}`;
    renameSync(state, aside);
    o.log.info("moved the state of this node's earlier manager aside", { to: aside });
  }
  mkdirSync(path.join(o.dataDir, "logs"), { recursive: true });
  const fd = openSync(path.join(o.dataDir, "logs", "manager.log"), "a");
  const args = [o.cliBin, "manager", ...join.managers.flatMap((m) => ["--join", m]), "--token", join.token, "--data-dir", o.dataDir, "--listen-addr", "0.0.0.0", "--advertise-addr", o.advertiseAddr];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  child.unref();
  const pid = child.pid ?? 0;
  writeFileSync(path.join(o.dataDir, "manager.pid"), `${pid}\n`);
  o.log.info("promoted: started this node's manager", { pid, join: join.managers });
  return pid;
}

import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AgentLog } from "./log.js";
import { isSystemdManaged, settleUnit, startUnit } from "./systemd.js";

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
 * Starts the node's manager after a promotion: `shoal manager --join <managers>` (it joins with the node's certificate), with
 * its log and pid file where `shoal cluster init` puts them. State a manager of this node left when it was
 * demoted is moved aside first (its Raft id was removed for good; the new manager gets another). On a node
 * whose agent systemd runs (`cluster join --systemd`), the manager becomes the shoal-manager unit, so systemd
 * restarts it and starts it at boot; once it has joined, its unit keeps only the arguments later starts need.
 * Elsewhere it runs in the background, as `cluster init` starts it.
 */
export function startLocalManager(o: LocalManagerOptions, join: { managers: readonly string[] }): number {
  const state = path.join(o.dataDir, "manager");
  if (existsSync(path.join(state, "manager.json"))) {
    const aside = `${state}.demoted-${Date.now()}`;
    renameSync(state, aside);
    o.log.info("moved the state of this node's earlier manager aside", { to: aside });
  }
  const args = [
    ...join.managers.flatMap((m) => ["--join", m]),
    "--data-dir",
    o.dataDir,
    "--listen-addr",
    "0.0.0.0",
    "--advertise-addr",
    o.advertiseAddr,
  ];
  const pidFile = path.join(o.dataDir, "manager.pid");
  if (isSystemdManaged("agent")) {
    const unit = { role: "manager", args, pidFile };
    const pid = startUnit(unit, o.dataDir);
    o.log.info("promoted: started this node's manager as its systemd unit", { pid, join: join.managers });
    settleOnceJoined(o, () => settleUnit(unit, o.dataDir));
    return pid;
  }
  mkdirSync(path.join(o.dataDir, "logs"), { recursive: true });
  const fd = openSync(path.join(o.dataDir, "logs", "manager.log"), "a");
  const child = spawn(process.execPath, [o.cliBin, "manager", ...args], { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  child.unref();
  const pid = child.pid ?? 0;
  writeFileSync(pidFile, `${pid}\n`);
  o.log.info("promoted: started this node's manager", { pid, join: join.managers });
  return pid;
}

/** Calls `settle` once the new manager has state of its own (it joined), checking every half second for 10 min. */
function settleOnceJoined(o: LocalManagerOptions, settle: () => void): void {
  const deadline = Date.now() + 10 * 60_000;
  const timer = setInterval(() => {
    if (existsSync(path.join(o.dataDir, "manager", "manager.json"))) {
      clearInterval(timer);
      try {
        settle();
        o.log.info("the manager unit keeps only the arguments of later starts");
      } catch (e) {
        o.log.warn("cannot rewrite the manager unit's arguments", { error: e });
      }
    } else if (Date.now() > deadline) {
      clearInterval(timer);
      o.log.warn("the promoted manager has not joined after 10 minutes; its unit keeps the join arguments");
    }
  }, 500);
  timer.unref();
}

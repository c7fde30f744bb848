import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SystemdError } from "./errors.js";

/** A daemon to run as its unit: its role (`manager`, `agent`), its arguments, and the pid file its unit writes. */
export interface UnitLaunch {
  role: string;
  args: readonly string[];
  pidFile: string;
}

/**
 * Daemons handed to systemd: with `--systemd`, `cluster init/join` write the daemon's arguments to
 * `/etc/shoal/<role>.env` and start `shoal-<role>.service` (infra/systemd), whose ExecStart runs
 * `shoal <role> $SHOAL_ARGS` in the foreground and whose ExecStartPost writes the pid file the CLI reads.
 */

/** Where the units' EnvironmentFile= lives (infra/systemd/shoal-*.service name it); tests point it elsewhere. */
export const SYSTEMD_ENV_DIR = process.env.SHOAL_SYSTEMD_ENV_DIR ?? "/etc/shoal";

/** The unit that runs a role's daemon. */
export const unitName = (role: string): string => `shoal-${role}.service`;

/** The environment file of a role's unit. */
export const unitEnvFile = (role: string): string => join(SYSTEMD_ENV_DIR, `${role}.env`);

/** Flags that only matter at a daemon's first start (its state holds the result afterwards). */
const FIRST_START_FLAGS = new Set(["--init", "--force-new-cluster"]);
const FIRST_START_OPTIONS = new Set(["--join", "--token"]);

/**
 * The arguments a daemon keeps for later starts: without the first-start flags (`--init`, `--force-new-cluster`,
 * `--join X`, `--token X`), so a restart never forms a new cluster and no join token stays on disk.
 */
export function steadyArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    if (FIRST_START_FLAGS.has(a)) continue;
    if (FIRST_START_OPTIONS.has(a)) {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * The text of a unit's environment file: the data dir (for the pid file) and the daemon's arguments, which
 * systemd splits on whitespace (`$SHOAL_ARGS` in ExecStart). Refuses an argument that would not survive that.
 */
export function unitEnvText(role: string, dataDir: string, args: readonly string[]): string {
  for (const a of [dataDir, ...args]) {
    if (a === "" || /[\s"'\\$%`]/.test(a)) {
      throw new SystemdError(
        `systemd: the ${role}'s argument ${JSON.stringify(a)} cannot go in ${unitEnvFile(role)} (empty, or with spaces, quotes, $, % or backslashes)`,
        "use values without those characters, or run without --systemd",
      );
    }
  }
  return [
    `# Written by \`shoal cluster init/join --systemd\`: what ${unitName(role)} runs.`,
    `SHOAL_DATA_DIR="${dataDir}"`,
    `SHOAL_ARGS="${args.join(" ")}"`,
    "",
  ].join("\n");
}

function systemctl(args: readonly string[]): void {
  try {
    execFileSync("systemctl", args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: 120_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    const why = err.code === "ENOENT" ? "systemctl is not installed" : (err.stderr ?? err.message).trim();
    throw new SystemdError(
      `systemd: \`systemctl ${args.join(" ")}\` failed: ${why}`,
      "install the units with infra/install.sh on a host that runs systemd, or run without --systemd",
      e,
    );
  }
}

/** Whether a role's daemon of this node was handed to systemd (its unit's environment file exists). */
export function isSystemdManaged(role: string): boolean {
  return existsSync(unitEnvFile(role));
}

/**
 * Writes the role's environment file and starts its unit (enabled, so it comes back at boot). Returns the pid
 * of the unit's main process, from the pid file its ExecStartPost wrote.
 */
export function startUnit(d: UnitLaunch, dataDir: string): number {
  mkdirSync(SYSTEMD_ENV_DIR, { recursive: true, mode: 0o755 });
  writeFileSync(unitEnvFile(d.role), unitEnvText(d.role, dataDir, d.args), { mode: 0o600 });
  try {
    systemctl(["enable", unitName(d.role)]);
    systemctl(["restart", unitName(d.role)]);
  } catch (e) {
    // No unit to leave behind: without its env file the node does not count as systemd-managed.
    rmSync(unitEnvFile(d.role), { force: true });
    throw e;
  }
  let pid = NaN;
  try {
    pid = Number(readFileSync(d.pidFile, "utf8").trim());
  } catch {
    // reported below
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new SystemdError(
      `systemd: ${unitName(d.role)} started but wrote no pid file ${d.pidFile}`,
      `see \`systemctl status ${unitName(d.role)}\` and \`journalctl -u ${unitName(d.role)}\``,
    );
  }
  return pid;
}

/** Once the daemon is up: keeps only the arguments later starts need (see {@link steadyArgs}). */
export function settleUnit(d: UnitLaunch, dataDir: string): void {
  writeFileSync(unitEnvFile(d.role), unitEnvText(d.role, dataDir, steadyArgs(d.args)), { mode: 0o600 });
}

/** Stops and disables a role's unit and removes its environment file (leaving the cluster). */
export function removeUnit(role: string): void {
  systemctl(["disable", "--now", unitName(role)]);
  rmSync(unitEnvFile(role), { force: true });
}

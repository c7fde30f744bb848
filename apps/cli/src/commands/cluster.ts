import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { JoinInfo, ShoalClient } from "@shoal/api";
import { certificatePaths, InvalidTokenError, parseJoinToken } from "@shoal/trust";
import type { ParsedArgs } from "../args/parser.js";
import { contextFile, type Command, type Context, type ContextTls } from "../context.js";
import { CliError } from "../errors.js";
import {
  DEFAULT_CLI_BIN,
  defaultAdvertiseAddr,
  runningPid,
  spawnDaemon,
  stopDaemon,
  waitForDaemon,
  type DaemonLaunch,
} from "../local/processes.js";
import { AGENT_LOCAL_OPTIONS, AGENT_NODE_OPTIONS, MANAGER_ADDR_OPTIONS, managerOptions } from "./daemon.js";
import { isSystemdManaged, removeUnit, settleUnit, startUnit, unitName } from "@shoal/agent/systemd";
import { oneArg } from "./output.js";

const START_TIMEOUT_MS = 60_000;

function launch(ctx: Context, role: "manager" | "agent", args: string[]): DaemonLaunch {
  return {
    role,
    args,
    logFile: join(ctx.dataDir, "logs", `${role}.log`),
    pidFile: join(ctx.dataDir, `${role}.pid`),
    cliBin: ctx.io.cliBin ?? DEFAULT_CLI_BIN,
  };
}

/** `--systemd`: the daemons run as systemd units (infra/systemd) instead of children of this command. */
const SYSTEMD_OPTION = {
  name: "systemd",
  type: "boolean",
  help: "Hand the daemons to systemd (shoal-manager and shoal-agent units, installed by infra/install.sh) instead of starting them in the background",
} as const;

/**
 * Starts a daemon in the background, or as its systemd unit with --systemd, and waits until `ready` gives a
 * value. A unit keeps only the arguments later starts need once the daemon is up.
 */
async function runDaemon<T>(
  ctx: Context,
  p: ParsedArgs,
  d: DaemonLaunch,
  ready: () => Promise<T | undefined>,
): Promise<T> {
  if (!p.flag("systemd")) return waitForDaemon(d, spawnDaemon(d), ready, START_TIMEOUT_MS);
  const pid = startUnit(d, ctx.dataDir);
  try {
    const v = await waitForDaemon(d, pid, ready, START_TIMEOUT_MS);
    settleUnit(d, ctx.dataDir);
    return v;
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    throw new CliError(e.code, e.message, `its output is in the journal: \`journalctl -u ${unitName(d.role)}\``, {
      cause: e,
    });
  }
}

/** Stops a daemon of this node: its unit when systemd runs it, else by its pid. */
export async function stopNodeDaemon(role: "manager" | "agent", pid: number): Promise<void> {
  if (isSystemdManaged(role)) removeUnit(role);
  else await stopDaemon(pid, role);
}

/** Flags passed on to a background daemon as they were given. */
function passOn(p: ParsedArgs, names: readonly string[]): string[] {
  return names.flatMap((n) => p.strings(n).flatMap((v) => [`--${n}`, v]));
}

/** Starts the agent of a node that joined (its state is in the data dir) and waits until it runs: its node id. */
async function startAgentDaemon(ctx: Context, p: ParsedArgs): Promise<string> {
  const d = launch(ctx, "agent", [
    "--data-dir",
    ctx.dataDir,
    "--run-dir",
    ctx.runDir,
    ...passOn(p, ["hostname", "label", "advertise-addr", "cgroup-parent", "bridge", "bridge-subnet"]),
  ]);
  return runDaemon(
    ctx,
    p,
    d,
    async () =>
      (await ctx.agent.call<{ nodeId?: string }>({ method: "GET", path: "/v1/info", timeoutMs: 2_000 })).nodeId ||
      undefined,
  );
}

/** The join token of `--token`, or read from `--token-file` (`-`: stdin); exactly one of them. */
async function joinToken(ctx: Context, p: ParsedArgs): Promise<string> {
  const given = p.string("token");
  const file = p.string("token-file");
  if (given !== undefined && file !== undefined) throw p.usage("give --token or --token-file, not both");
  if (file === undefined) {
    if (!given) throw p.usage("--token is required: use the join command `shoal cluster init` printed");
    return given;
  }
  let text: string;
  try {
    text = file === "-" ? await readAll(ctx.io.stdin) : readFileSync(file, "utf8");
  } catch (e) {
    throw new CliError(
      "SHOAL_ERR_TOKEN_FILE",
      `cannot read the join token from ${file}: ${(e as Error).message}`,
      "give a file holding the token `shoal cluster join-token -q worker|manager` printed",
    );
  }
  const token = text.trim();
  if (!token)
    throw new CliError(
      "SHOAL_ERR_TOKEN_FILE",
      `${file === "-" ? "stdin" : file} holds no join token`,
      "give a file holding the token `shoal cluster join-token -q worker|manager` printed",
    );
  return token;
}

/** Everything a stream gives, as text. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Refuses a malformed join token before anything is sent. */
function checkTokenForm(token: string): void {
  try {
    parseJoinToken(token);
  } catch (e) {
    if (!(e instanceof InvalidTokenError)) throw e;
    throw new CliError(
      "SHOAL_ERR_INVALID_TOKEN",
      `the join token is malformed: ${e.detail}`,
      "copy the whole token `shoal cluster join-token worker|manager` prints on a manager",
    );
  }
}

/**
 * Joins this node through the manager at `manager`: makes the node's key here, and saves the certificate, the
 * trust bundle and the node id the cluster gives in the data dir, where its agent finds them. The answer.
 */
async function joinThisNode(ctx: Context, p: ParsedArgs, manager: string, token: string): Promise<JoinInfo> {
  checkTokenForm(token);
  const { joinNode } = await import("@shoal/agent/join");
  try {
    const info = await joinNode(ctx.dataDir, [manager], token, { hostname: p.string("hostname") });
    const skew = clockSkewWarning(Date.parse(info.time), Date.now());
    if (skew) ctx.err(skew);
    return info;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code !== "SHOAL_ERR_INVALID_TOKEN" && code !== "SHOAL_ERR_JOIN") throw e;
    throw new CliError(
      code,
      (e as Error).message.replace(/^agent: /, ""),
      code === "SHOAL_ERR_INVALID_TOKEN"
        ? "use a token `shoal cluster join-token worker|manager` shows on a manager of that cluster"
        : "check the address, and that `shoal manager` runs there",
      { cause: e },
    );
  }
}

/** Clocks further apart than this are named at join: certificates are backdated by one hour only. */
const SKEW_WARN_MS = 60_000;

/** A warning when this machine's clock is more than a minute off the leader's (as a join answer tells it). */
export function clockSkewWarning(leaderMs: number, localMs: number): string | undefined {
  const skew = localMs - leaderMs;
  if (!Number.isFinite(skew) || Math.abs(skew) <= SKEW_WARN_MS) return undefined;
  const s = Math.round(Math.abs(skew) / 1000);
  return `Warning: this machine's clock is ${s} s ${skew > 0 ? "ahead of" : "behind"} the cluster leader's; certificates are valid from one hour before they are issued, so a node more than an hour off cannot use them: set the clock (NTP)\n`;
}

/** Starts the manager daemon in the background with the address flags and `extra`, and waits for its API. */
async function startManagerDaemon(
  ctx: Context,
  p: ParsedArgs,
  extra: string[],
): Promise<{ o: ReturnType<typeof managerOptions>; advertise: string; local: ShoalClient }> {
  const o = managerOptions(ctx, p);
  const advertise = p.string("advertise-addr") ?? defaultAdvertiseAddr();
  const d = launch(ctx, "manager", [
    ...extra,
    "--data-dir",
    ctx.dataDir,
    "--run-dir",
    ctx.runDir,
    "--listen-addr",
    o.listenAddr,
    "--advertise-addr",
    advertise,
    "--api-port",
    String(o.apiPort),
    "--raft-port",
    String(o.raftPort),
    "--nats-port",
    String(o.natsPort),
    "--nats-cluster-port",
    String(o.natsClusterPort),
  ]);
  // It answers root on this node on its local socket once its API is up.
  const local = ctx.localManagerClient(2_000);
  await runDaemon(ctx, p, d, () => local.call("info"));
  return { o, advertise, local };
}

/**
 * Records where this node's manager API is, and the TLS files to reach it with when given (`context.json` of
 * docs/design/trust.md §4.3), for later commands without --host.
 */
function writeContext(ctx: Context, managers: string[], tls?: ContextTls): void {
  mkdirSync(ctx.dataDir, { recursive: true });
  writeFileSync(contextFile(ctx.dataDir), `${JSON.stringify({ managers, ...(tls ? { tls } : {}) })}\n`);
}

function refuseIfRunning(ctx: Context, role: "manager" | "agent", message: string): void {
  const pid = runningPid(join(ctx.dataDir, `${role}.pid`), role);
  if (pid !== undefined)
    throw new CliError(
      "SHOAL_ERR_ALREADY_RUNNING",
      `${message} (${role} pid ${pid}, data dir ${ctx.dataDir})`,
      "run `shoal cluster leave` first, or use another --data-dir",
    );
}

/**
 * Refusals of `cluster init --force-new-cluster`: it needs a manager's state in the data dir, and no manager
 * running on it (one started by `cluster init`, or a `shoal manager` in the foreground holding the Raft lock).
 */
function checkRecoverable(ctx: Context): void {
  const dir = join(ctx.dataDir, "manager");
  const pid =
    runningPid(join(ctx.dataDir, "manager.pid"), "manager") ?? runningPid(join(dir, "raft", "LOCK"), "manager");
  if (pid !== undefined) {
    throw new CliError(
      "SHOAL_ERR_ALREADY_RUNNING",
      `a manager still runs for this data dir (manager pid ${pid}, data dir ${ctx.dataDir}); it must be stopped before its state can form a new cluster`,
      `stop it with \`kill -TERM ${pid}\` (its state is kept; do not use \`shoal cluster leave\`, which erases it), then run this command again`,
    );
  }
  if (!existsSync(join(dir, "manager.json"))) {
    throw new CliError(
      "SHOAL_ERR_NOTHING_TO_RECOVER",
      `${ctx.dataDir} holds no manager state: there is nothing to recover`,
      "run it on a node that was a manager (with its --data-dir), or start a new cluster with `shoal cluster init`",
    );
  }
}

/** The local agent's node id: the running agent's, or that of one joined and started now with the manager token. */
async function ensureAgent(ctx: Context, p: ParsedArgs, apiPort: number, managerToken: string): Promise<string> {
  if (runningPid(join(ctx.dataDir, "agent.pid"), "agent") !== undefined) {
    const info = await ctx.agent.call<{ nodeId?: string }>({ method: "GET", path: "/v1/info", timeoutMs: 5_000 });
    if (info.nodeId) return info.nodeId;
  }
  // A new cluster's manager wrote the join of its own node; a node re-formed by --force-new-cluster has one.
  if (!existsSync(join(ctx.dataDir, "agent", "join.json")))
    await joinThisNode(ctx, p, `127.0.0.1:${apiPort}`, managerToken);
  return startAgentDaemon(ctx, p);
}

/** `shoal cluster init [--force-new-cluster]`. */
export const clusterInitCommand: Command = {
  name: "cluster init",
  usage: "[OPTIONS]",
  summary: "Start a new cluster with this node as its first manager",
  syntax: {
    options: [
      ...MANAGER_ADDR_OPTIONS,
      ...AGENT_LOCAL_OPTIONS,
      {
        name: "force-new-cluster",
        type: "boolean",
        help: "After losing a majority of managers: form a one-manager cluster from this node's manager state (services, tasks, nodes and networks are kept)",
      },
      SYSTEMD_OPTION,
    ],
  },
  run: async (ctx, p) => {
    const force = p.flag("force-new-cluster");
    if (force) checkRecoverable(ctx);
    else {
      refuseIfRunning(ctx, "manager", "a manager already runs for this data dir");
      refuseIfRunning(ctx, "agent", "an agent already runs for this data dir");
    }
    const { o, advertise, local } = await startManagerDaemon(ctx, p, [force ? "--force-new-cluster" : "--init"]);
    const tokens = await local.call("joinTokens");
    const nodeId = await ensureAgent(ctx, p, o.apiPort, tokens.manager);
    const addr = `${advertise}:${o.apiPort}`;
    writeContext(ctx, [`127.0.0.1:${o.apiPort}`]);
    const admin = certificatePaths(ctx.dataDir).admin;
    ctx.out(
      [
        force
          ? `Cluster re-formed from this node's state: this node is now its only manager (node ${nodeId}); the other managers were removed.`
          : `Cluster initialized: this node is now a manager (node ${nodeId}).`,
        "",
        ...(force
          ? []
          : [
              `As root on a manager node, \`shoal\` needs no credentials. From elsewhere, use the admin bundle in ${admin.dir}`,
              `(SHOAL_CERT_PATH=${admin.dir} shoal --host ${addr} ...). The dashboard is at https://${addr}/;`,
              `sign in with the access token in ${admin.accessToken}.`,
              "",
            ]),
        "To add a worker to this cluster, run the following command:",
        "",
        `    shoal cluster join --token ${tokens.worker} ${addr}`,
        "",
        "To add a manager to this cluster, run the following command:",
        "",
        `    shoal cluster join --token ${tokens.manager} ${addr}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

/** `shoal cluster join --token T HOST:PORT`. */
export const clusterJoinCommand: Command = {
  name: "cluster join",
  usage: "[OPTIONS] HOST:PORT",
  summary: "Join this node to a cluster: as a worker, or as a manager with the manager token",
  syntax: {
    options: [
      {
        name: "token",
        type: "string",
        value: "TOKEN",
        help: "Join token printed by `shoal cluster init` (the manager token makes this node a manager)",
      },
      {
        name: "token-file",
        type: "string",
        value: "FILE",
        help: "Read the join token from FILE (`-` for stdin) instead, so it stays out of the process list and shell history",
      },
      ...MANAGER_ADDR_OPTIONS.filter((o) => o.name !== "advertise-addr"),
      ...AGENT_NODE_OPTIONS,
      ...AGENT_LOCAL_OPTIONS,
      SYSTEMD_OPTION,
    ],
  },
  run: async (ctx, p) => {
    const manager = oneArg(p, "HOST:PORT");
    const token = await joinToken(ctx, p);
    refuseIfRunning(ctx, "agent", "this node is already part of a cluster");
    refuseIfRunning(ctx, "manager", "a manager already runs for this data dir");
    const joined = await joinThisNode(ctx, p, manager, token);
    if (joined.role === "worker") {
      const nodeId = await startAgentDaemon(ctx, p);
      writeContext(ctx, [manager]);
      ctx.out(`This node joined the cluster as a worker (node ${nodeId}).\n`);
      return 0;
    }
    const { o } = await startManagerDaemon(ctx, p, ["--join", manager]);
    const nodeId = await startAgentDaemon(ctx, p);
    writeContext(ctx, [`127.0.0.1:${o.apiPort}`, manager]);
    ctx.out(`This node joined the cluster as a manager (node ${nodeId}).\n`);
    return 0;
  },
};

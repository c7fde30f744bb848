import { hostname } from "node:os";
import { listOption, stringOption as s, type OptionDef, type ParsedArgs } from "../args/parser.js";
import { durationFlag, intFlag } from "../args/units.js";
import type { CliIo, Command, Context } from "../context.js";
import { startAgent, startManager, type AgentOptions, type ManagerOptions, type RunningDaemon } from "../daemons.js";
import { parseLabels } from "../spec/values.js";

/** Address and port flags shared by `shoal manager` and `shoal cluster init`. */
export const MANAGER_ADDR_OPTIONS: readonly OptionDef[] = [
  s("listen-addr", "ADDR", "Address the manager listens on (default 0.0.0.0)"),
  s("advertise-addr", "ADDR", "Address other nodes reach this one at"),
  s("api-port", "PORT", "REST API port (default 7070)"),
  s("raft-port", "PORT", "Raft peer port (default 7071)"),
  s("nats-port", "PORT", "Bus client port (default 7072)"),
  s("nats-cluster-port", "PORT", "Bus cluster port (default 7073)"),
];

const portFlag = (p: ParsedArgs, name: string, dflt: number): number => {
  const v = p.string(name);
  if (v === undefined) return dflt;
  const n = intFlag(name, v, 1);
  if (n > 65535) throw p.usage(`invalid value ${JSON.stringify(v)} for --${name}: use a port number 1-65535`);
  return n;
};

/** The manager options the flags ask for. */
export function managerOptions(ctx: Context, p: ParsedArgs): ManagerOptions {
  const apiPort = portFlag(p, "api-port", 7070);
  return {
    dataDir: ctx.dataDir,
    listenAddr: p.string("listen-addr") ?? "0.0.0.0",
    advertiseAddr: p.string("advertise-addr") ?? "127.0.0.1",
    apiPort,
    raftPort: portFlag(p, "raft-port", 7071),
    natsPort: portFlag(p, "nats-port", 7072),
    natsClusterPort: portFlag(p, "nats-cluster-port", 7073),
    init: p.flag("init"),
    runDir: ctx.runDir,
    heartbeatPeriodMs: durationFlag("heartbeat-period", p.string("heartbeat-period") ?? "1s"),
    ...(p.strings("join").length > 0 ? { join: { managers: p.strings("join") } } : {}),
    ...(p.flag("force-new-cluster") ? { forceNewCluster: true } : {}),
  };
}

/** Waits for SIGTERM or SIGINT; resolves with the signal's name. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGTERM", on);
      process.off("SIGINT", on);
      resolve(sig);
    };
    process.on("SIGTERM", on);
    process.on("SIGINT", on);
  });
}

/**
 * Runs a daemon until SIGTERM or SIGINT. A signal during a start that waits (a manager locked by autolock) ends
 * that start through `signal`, and the command exits 0, as after a stop.
 */
async function runForeground(
  ctx: Context,
  what: string,
  start: (signal: AbortSignal) => Promise<RunningDaemon>,
): Promise<number> {
  const io: CliIo = ctx.io;
  const stopped = (io.untilStopped ?? untilSignal)();
  const starting = new AbortController();
  void stopped.then((sig) => starting.abort(new Error(`${what}: ${sig} received while starting`)));
  let d: RunningDaemon;
  try {
    d = await start(starting.signal);
  } catch (e) {
    if (!starting.signal.aborted) throw e;
    ctx.err(`${what}: ${await stopped} received before it was ready, stopping\n`);
    return 0;
  }
  ctx.err(`${what} running${d.apiAddr ? `, API on ${d.apiAddr}` : ""} (pid ${process.pid})\n`);
  const sig = await stopped;
  ctx.err(`${what}: ${sig} received, stopping\n`);
  await d.stop();
  return 0;
}

/** `shoal manager`: the manager daemon in the foreground. */
export const managerCommand: Command = {
  name: "manager",
  usage: "[OPTIONS]",
  summary: "Run the manager daemon in the foreground (until SIGTERM or SIGINT)",
  foreground: true,
  syntax: {
    options: [
      ...MANAGER_ADDR_OPTIONS,
      { name: "init", type: "boolean", help: "Create a new cluster with this manager as its first member" },
      listOption(
        "join",
        "HOST:PORT",
        "First start only: join the cluster of this manager (API address) as a manager; the node must have joined with the manager token (its certificate is in the data dir)",
      ),
      {
        name: "force-new-cluster",
        type: "boolean",
        help: "Form a one-manager cluster from this manager's state (after losing a majority of managers)",
      },
      s("heartbeat-period", "DURATION", "How often agents report (default 1s)"),
    ],
  },
  run: (ctx, p) => {
    const o = managerOptions(ctx, p);
    // Removed from the managers (demoted): stop as on SIGTERM; the node's agent keeps running.
    return runForeground(ctx, "manager", (signal) =>
      startManager({ ...o, signal, onRemoved: () => process.kill(process.pid, "SIGTERM") }),
    );
  },
};

/** Flags that describe the agent's node, shared by `shoal agent` and `shoal cluster join`. */
export const AGENT_NODE_OPTIONS: readonly OptionDef[] = [
  s("hostname", "NAME", "Node hostname (default the machine's)"),
  listOption("label", "KEY=VALUE", "Node label (engine.labels.KEY in constraints)"),
  s("advertise-addr", "ADDR", "Address other nodes reach this one at (overlay traffic)"),
];

/** Where the agent puts its containers and their network: passed on by `cluster init` and `cluster join`. */
export const AGENT_LOCAL_OPTIONS: readonly OptionDef[] = [
  s("cgroup-parent", "NAME", "Cgroup under which containers run (default shoal)"),
  s("bridge", "NAME", "Bridge device of the node's task network (default shoal0)"),
  s("bridge-subnet", "CIDR", "Subnet of the node's task network (default 10.211.0.0/16)"),
];

/** The agent options the flags ask for. */
export function agentOptions(ctx: Context, p: ParsedArgs): AgentOptions {
  const o: AgentOptions = {
    dataDir: ctx.dataDir,
    runDir: ctx.runDir,
    cgroupParent: p.string("cgroup-parent") ?? "shoal",
    hostname: p.string("hostname") ?? hostname(),
    labels: parseLabels(p.strings("label"), "label"),
  };
  const advertise = p.string("advertise-addr");
  if (advertise !== undefined) o.advertiseAddr = advertise;
  const bridge = p.string("bridge");
  if (bridge !== undefined) o.bridge = bridge;
  const subnet = p.string("bridge-subnet");
  if (subnet !== undefined) o.bridgeSubnet = subnet;
  const join = p.string("join");
  const token = p.string("token");
  if ((join === undefined) !== (token === undefined)) throw p.usage("--join and --token go together: give both");
  if (join !== undefined && token !== undefined)
    o.join = {
      managers: join
        .split(",")
        .map((m) => m.trim())
        .filter((m) => m !== ""),
      token,
    };
  return o;
}

/** `shoal agent`: the agent daemon in the foreground. */
export const agentCommand: Command = {
  name: "agent",
  usage: "[OPTIONS]",
  summary: "Run the agent daemon in the foreground (until SIGTERM or SIGINT)",
  foreground: true,
  syntax: {
    options: [
      ...AGENT_NODE_OPTIONS,
      ...AGENT_LOCAL_OPTIONS,
      s("join", "HOST:PORT", "Manager to join through (comma list for several)"),
      s("token", "TOKEN", "Join token"),
    ],
  },
  run: (ctx, p) => {
    const o = agentOptions(ctx, p);
    return runForeground(ctx, "agent", () => startAgent(o));
  },
};

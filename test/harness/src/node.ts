import { fileURLToPath } from "node:url";
import type { StartedTestContainer } from "testcontainers";
import { HarnessError } from "./errors.js";
import { until } from "./until.js";

/** The checkout, bind-mounted read-only at the same path inside every node. */
export const REPO = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");
/** The CLI inside a node. */
export const SHOAL_BIN = `${REPO}/apps/cli/bin/shoal.mjs`;
/** A node's state dir (on a volume of its own) and runtime dir (on its tmpfs /run). */
export const DATA_DIR = "/var/lib/shoal";
export const RUN_DIR = "/run/shoal";
/** Port of a manager's REST API inside its node (each node has its own network namespace). */
export const API_PORT = 7070;

/** A daemon of a node. */
export type Daemon = "manager" | "agent";
/** What a command run inside a node printed and how it ended. */
export interface ExecOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** How a node's container can be paused, resumed and its daemons restarted (the cluster wires it). */
export interface NodeControl {
  readonly pause: () => Promise<void>;
  readonly unpause: () => Promise<void>;
}

/** One node of a harness cluster: a container with its own network namespace, running Shoal's daemons. */
export class HarnessNode {
  constructor(
    /** Name of the node's container. */
    readonly name: string,
    /** The node's hostname, as `shoal node ls` shows it. */
    readonly hostname: string,
    /** Its address on the cluster's docker network. */
    readonly address: string,
    readonly role: "manager" | "worker",
    /** Cgroup parent of its tasks (nodes share the host's cgroup hierarchy, so each has its own). */
    readonly cgroupParent: string,
    private readonly container: StartedTestContainer,
    private readonly control: NodeControl,
    /** Flags its daemons are restarted with. */
    private readonly daemonFlags: Readonly<Record<Daemon, readonly string[]>>,
  ) {}

  /** The container's id. */
  get id(): string {
    return this.container.getId();
  }

  /** Runs a command inside the node (as root, in its namespaces). */
  async exec(cmd: readonly string[]): Promise<ExecOutput> {
    const r = await this.container.exec([...cmd], { env: { HOME: "/root" } });
    return { stdout: r.stdout, stderr: r.stderr, code: r.exitCode };
  }

  /** Runs a command inside the node; rejects with its output when it exits non-zero. */
  async execOk(cmd: readonly string[]): Promise<string> {
    const r = await this.exec(cmd);
    if (r.code !== 0)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: \`${cmd.join(" ")}\` on ${this.hostname} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    return r.stdout;
  }

  /** Runs `shoal ARGS` inside the node; the CLI finds its manager from the context `cluster init/join` recorded. */
  shoal(args: readonly string[]): Promise<ExecOutput> {
    return this.exec(["node", SHOAL_BIN, ...args]);
  }

  /** Runs `shoal ARGS` inside the node; rejects with its output and the daemons' log tails when it fails. */
  async shoalOk(args: readonly string[]): Promise<string> {
    const r = await this.shoal(args);
    if (r.code !== 0)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: \`shoal ${args.join(" ")}\` on ${this.hostname} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\n${await this.logTail()}`,
      );
    return r.stdout;
  }

  /** The pid (inside the node) of a daemon, from its pid file; undefined when there is none. */
  async pid(daemon: Daemon): Promise<number | undefined> {
    const r = await this.exec(["cat", `${DATA_DIR}/${daemon}.pid`]);
    const pid = Number(r.stdout.trim());
    return r.code === 0 && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  }

  /** Whether the process `pid` inside the node runs (a zombie does not count). */
  async running(pid: number): Promise<boolean> {
    const r = await this.exec(["cat", `/proc/${pid}/stat`]);
    return r.code === 0 && !/\) Z /.test(r.stdout);
  }

  /** Sends `signal` to a daemon and, for a fatal signal, waits until it has exited. */
  async kill(daemon: Daemon, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const pid = await this.pid(daemon);
    if (pid === undefined)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: no ${daemon} pid file on ${this.hostname}; was the node started with that daemon?`,
      );
    await this.execOk(["kill", "-s", signal.replace(/^SIG/, ""), String(pid)]);
    if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") {
      await until(async () => !(await this.running(pid)), 30_000, `${daemon} ${pid} on ${this.hostname} to exit`);
    }
  }

  /** Starts a daemon again in the background with the flags the node was started with, logging where it did. */
  async restart(daemon: Daemon): Promise<void> {
    const old = await this.pid(daemon);
    if (old !== undefined && (await this.running(old)))
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: ${daemon} ${old} still runs on ${this.hostname}; kill it first`,
      );
    const argv = ["node", SHOAL_BIN, daemon, ...this.daemonFlags[daemon]].map(shellQuote).join(" ");
    const log = `${DATA_DIR}/logs/${daemon}.log`;
    await this.execOk(["sh", "-c", `setsid ${argv} </dev/null >>${log} 2>&1 & echo $! >${DATA_DIR}/${daemon}.pid`]);
  }

  /** Freezes every process of the node (`docker pause`). */
  pause(): Promise<void> {
    return this.control.pause();
  }

  unpause(): Promise<void> {
    return this.control.unpause();
  }

  /** A container node's nearest to a power cut: frozen whole, nothing told (see {@link pause}). */
  powerOff(): Promise<void> {
    return this.pause();
  }

  powerOn(): Promise<void> {
    return this.unpause();
  }

  /**
   * A container node's nearest to a reboot: its daemons killed (SIGKILL) and started again. Unlike a VM's, its
   * tasks' containers live on through it.
   */
  async reboot(): Promise<void> {
    const daemons: Daemon[] = [];
    for (const d of ["manager", "agent"] as const) {
      if ((await this.pid(d)) === undefined) continue;
      await this.kill(d);
      daemons.push(d);
    }
    for (const d of daemons) await this.restart(d);
  }

  /**
   * Delays and drops the node's packets on its cluster interface (`tc netem` on eth0). NB: needs a kernel with
   * sch_netem (CONFIG_NET_SCH_NETEM); without it this rejects with a message that says so.
   */
  async netem(o: { delayMs?: number; lossPct?: number }): Promise<void> {
    const args = ["tc", "qdisc", "replace", "dev", "eth0", "root", "netem"];
    if (o.delayMs !== undefined) args.push("delay", `${o.delayMs}ms`);
    if (o.lossPct !== undefined) args.push("loss", `${o.lossPct}%`);
    const r = await this.exec(args);
    if (r.code === 0) return;
    const hint = /unknown|No such file/i.test(r.stderr)
      ? " (this kernel has no sch_netem: CONFIG_NET_SCH_NETEM is not set)"
      : "";
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: \`${args.join(" ")}\` on ${this.hostname} exited ${r.code}${hint}: ${r.stderr.trim()}`,
    );
  }

  /** Removes what {@link netem} added. */
  async clearNetem(): Promise<void> {
    await this.exec(["tc", "qdisc", "del", "dev", "eth0", "root"]);
  }

  /** The last lines of the node's daemon logs, for failure messages. */
  async logTail(lines = 30): Promise<string> {
    const out: string[] = [];
    for (const d of ["manager", "agent"]) {
      const r = await this.exec(["tail", "-n", String(lines), `${DATA_DIR}/logs/${d}.log`]);
      if (r.code === 0) out.push(`--- ${this.hostname} ${d}.log\n${r.stdout}`);
    }
    return out.join("\n");
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

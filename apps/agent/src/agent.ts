import os from "node:os";
import { rm } from "node:fs/promises";
import path from "node:path";
import { certificatePaths } from "@shoal/trust";
import type { JoinInfo, Task } from "@shoal/api";
import { Limiter } from "@shoal/common";
import type { AssignmentSet, BusConnection } from "@shoal/bus";
import type { Executor } from "@shoal/runtime";
import type { LocalNetwork, VxlanOverlay } from "@shoal/overlay";
import type { FastifyInstance } from "fastify";
import type { AgentOptions } from "./agent-options.js";
import { systemClock } from "@shoal/common";
import type { UnknownNodeError } from "./errors.js";
import { startLocalApi, type AgentInfo } from "./local-api.js";
import type { AgentLog } from "./log.js";
import { LogStreams } from "./log-streams.js";
import { ManagerPromotion } from "./manager-promotion.js";
import { describeNode } from "./node-description.js";
import { NodeNetworking } from "./node-networking.js";
import type { LocalContainer } from "./reconcile.js";
import { ReconcileLoop } from "./reconcile-loop.js";
import { Session, type SessionHooks } from "./session.js";
import type { AgentStateFiles } from "./state-files.js";
import { StatusReporter } from "./status-reporter.js";
import { TaskActions } from "./task-actions.js";
import { taskContainersOf } from "./task-containers.js";

/** What `status()` tells. */
export interface AgentStatus {
  nodeId?: string;
  hostname: string;
  clusterId: string;
  /** Whether the agent has a live session with the managers. */
  connected: boolean;
  sessionId?: string;
  /** Tasks assigned to this node. */
  tasks: number;
  /** Status updates waiting to be sent. */
  pendingStatus: number;
}

/** A running agent. */
export interface Agent {
  /** The node id, once the managers gave one. */
  readonly nodeId: string | undefined;
  /** Stops the agent; its containers keep running, and a new agent on the same dirs adopts them. */
  readonly stop: () => Promise<void>;
  /** Leaves the cluster: removes every task container and network attachment and deletes the agent's state. */
  readonly leave: () => Promise<void>;
  readonly status: () => AgentStatus;
  /** Resolves when the agent has stopped: with the error that stopped it (the managers no longer know the node), if any. */
  readonly done: Promise<Error | undefined>;
}

/** What startAgent opened or was given, for the agent runtime. */
export interface Wiring extends Omit<AgentOptions, "join" | "network" | "overlay" | "executor" | "bus"> {
  hostname: string;
  log: AgentLog;
  files: AgentStateFiles;
  join: JoinInfo;
  executor: Executor;
  network: LocalNetwork | undefined;
  /** The node's side of the overlay networks (absent: tasks get the node network only). */
  overlay: VxlanOverlay | undefined;
  bus: BusConnection;
  /** Closers of what startAgent opened itself (injected parts are the caller's). */
  owned: (() => Promise<void>)[];
  /** What leaving removes once everything is closed (the runtime's cgroup parent, when the agent opened it). */
  onLeft?: () => void;
}

/**
 * The agent's parts wired together: the session with the managers, the reconcile loop and the task actions it
 * starts, the node's networking, manager promotion, status reports, log streams and the local API.
 */
export class AgentRuntime implements Agent {
  private readonly session: Session;
  private readonly reporter: StatusReporter;
  private readonly networking: NodeNetworking | undefined;
  private readonly actions: TaskActions;
  private readonly loop: ReconcileLoop;
  private readonly promotion: ManagerPromotion;
  private readonly logStreams: LogStreams;
  private assigned: ReadonlyMap<string, Task> = new Map();
  private api: FastifyInstance | undefined;
  private unsubExecutor: (() => void) | undefined;
  private fatal: UnknownNodeError | undefined;
  private stopping: Promise<void> | undefined;
  private resolveDone!: (e: Error | undefined) => void;
  readonly done: Promise<Error | undefined>;

  constructor(private readonly w: Wiring) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    const { log } = w;
    const stopping = (): boolean => this.stopping !== undefined;
    const nodeId = (): string => w.join.nodeId;
    const tasks = (): ReadonlyMap<string, Task> => this.assigned;
    this.session = new Session({
      bus: w.bus,
      join: w.join,
      log,
      ...(w.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: w.requestTimeoutMs }),
      hooks: this.sessionHooks(),
    });
    this.reporter = new StatusReporter({
      send: (u) => this.session.sendStatus(u),
      ...(w.statusFlushMs === undefined ? {} : { flushMs: w.statusFlushMs }),
    });
    const networking = w.network
      ? new NodeNetworking({
          network: w.network,
          overlay: w.overlay,
          tasks,
          nodeId,
          stopping,
          clock: systemClock,
          dnsPort: w.dnsPort,
          log,
        })
      : undefined;
    this.networking = networking;
    const joinOverlay = networking?.joinOverlay;
    this.actions = new TaskActions({
      executor: w.executor,
      network: networking?.attachments,
      reporter: this.reporter,
      nodeId,
      hostname: w.hostname,
      current: (id) => this.assigned.get(id),
      log,
      starts: new Limiter(w.startConcurrency ?? 8 * os.availableParallelism()),
      ...(joinOverlay ? { joinOverlay } : {}),
      dnsServers: () => networking?.dnsServers(),
    });
    this.loop = new ReconcileLoop({
      tasks,
      containers: () => this.taskContainers(),
      attachments: async () => (await networking?.taskAttachments()) ?? new Map<string, string>(),
      mayRemoveUnassigned: () => this.session.fullSetReceived && this.session.connected,
      reporter: this.reporter,
      run: (a) => this.actions.run(a),
      ...(networking
        ? { afterPass: (containers, attachments) => networking.publishPorts(containers, attachments) }
        : {}),
      stopping,
      log,
    });
    this.promotion = new ManagerPromotion({
      dataDir: w.dataDir,
      cliBin: w.cliBin,
      advertiseAddr: w.advertiseAddr,
      log,
    });
    this.logStreams = new LogStreams({
      bus: w.bus,
      subjects: this.session.subjects,
      executor: w.executor,
      hasTask: async (id) => (await this.taskContainers()).has(id),
      log,
    });
  }

  get nodeId(): string | undefined {
    return this.session.nodeId;
  }

  /** Starts serving; returns the managers' refusal if the first registration got one (the node was removed). */
  async start(): Promise<UnknownNodeError | undefined> {
    this.unsubExecutor = this.w.executor.subscribe((e) => {
      if (e.type === "exit" || e.type === "health" || e.type === "oom") this.loop.schedule();
    });
    this.logStreams.listen(this.w.join.nodeId);
    await this.networking?.start();
    this.api = await startLocalApi(path.join(this.w.runDir, "agent.sock"), {
      info: () => this.info(),
      executor: this.w.executor,
      leave: () => this.teardown(true),
      afterLeave: () => void this.closeApi(),
      spoolDir: path.join(this.w.dataDir, "agent", "spool"),
    });
    await this.session.start();
    return this.fatal;
  }

  status(): AgentStatus {
    return {
      nodeId: this.session.nodeId,
      hostname: this.w.hostname,
      clusterId: this.w.join.clusterId,
      connected: this.session.connected,
      ...(this.session.sessionId === undefined ? {} : { sessionId: this.session.sessionId }),
      tasks: this.assigned.size,
      pendingStatus: this.reporter.pending,
    };
  }

  readonly stop = async (): Promise<void> => {
    await this.teardown(false);
    await this.closeApi();
  };

  readonly leave = async (): Promise<void> => {
    await this.teardown(true);
    await this.closeApi();
  };

  /** What the session tells the agent, passed on to the parts. */
  private sessionHooks(): SessionHooks {
    return {
      describe: async () => describeNode(this.w, await this.taskContainers()),
      onSession: () => this.reporter.resendAll(),
      onAssignments: (set: AssignmentSet) => {
        this.assigned = set.tasks;
        this.promotion.follow(set.node);
        this.networking?.setView(set.network);
        this.loop.schedule();
      },
      onConnected: (connected) => {
        this.w.log.info(connected ? "connected to the managers" : "lost the managers; tasks keep running");
        if (connected) this.reporter.flush();
        this.loop.schedule();
      },
      onFatal: (err) => {
        this.fatal = err;
        if (this.api) void this.stop();
      },
    };
  }

  private async info(): Promise<AgentInfo> {
    const s = this.status();
    return {
      ...(s.nodeId === undefined ? {} : { nodeId: s.nodeId }),
      hostname: s.hostname,
      clusterId: s.clusterId,
      connected: s.connected,
      tasks: s.tasks,
      containers: (await this.w.executor.list()).length,
    };
  }

  /** Stops everything but the local API; with `leave` also removes task containers, attachments and state. */
  private teardown(leave: boolean): Promise<void> {
    this.stopping ??= (async () => {
      this.w.log.info(leave ? "leaving the cluster" : "stopping; containers keep running");
      await this.session.stop();
      this.logStreams.close();
      this.reporter.close();
      this.unsubExecutor?.();
      await this.networking?.close();
      await this.loop.idle();
      if (leave) {
        for (const id of (await this.taskContainers()).keys())
          await this.actions.run({ type: "remove", taskId: id, container: true, attached: false });
        if (this.networking) await this.networking.leave();
        else await this.w.overlay?.teardown();
        await this.w.files.remove();
        await rm(path.dirname(certificatePaths(this.w.dataDir).trust), { recursive: true, force: true });
      }
      for (const close of this.w.owned.reverse())
        await close().catch((e: unknown) => this.w.log.warn("close failed", { error: e }));
      if (leave) this.w.onLeft?.();
      this.w.log.info(leave ? "left the cluster" : "stopped");
    })();
    return this.stopping;
  }

  private async closeApi(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.close();
    this.resolveDone(this.fatal);
  }

  /** Shoal's task containers on the node, as reconcile sees them. */
  private async taskContainers(): Promise<Map<string, LocalContainer>> {
    return taskContainersOf(await this.w.executor.list());
  }
}

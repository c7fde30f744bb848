import os from "node:os";
import path from "node:path";
import { isTerminal, type JoinInfo, type Task } from "@shoal/api";
import { Limiter } from "@shoal/common";
import { EMPTY_NETWORK_VIEW, type AssignmentSet, type BusConnection, type NetworkView, type RegisterRequest } from "@shoal/bus";
import type { ContainerInfo, Executor } from "@shoal/runtime";
import type { FastifyInstance } from "fastify";
import { AttachmentTracker } from "./attachment-tracker.js";
import type { InvalidTokenError } from "./errors.js";
import { startLocalApi, type AgentInfo } from "./local-api.js";
import type { AgentLog } from "./log.js";
import { LogStreams } from "./log-streams.js";
import { startDnsServer, upstreamsFromResolvConf, type DnsServer, type LocalNetwork, type OverlayDesiredState, type PublishedPortRule, type VxlanOverlay } from "@shoal/overlay";
import { readFile } from "node:fs/promises";
import { configureMeshSandbox, removeMeshRoute } from "./mesh-sandbox.js";
import { answerAddress, answerName, MESH_SANDBOX, overlayDesired, withMesh, type LocalTask } from "./network-desired.js";
import { OverlaySync } from "./overlay-sync.js";
import { shouldStartManager, startLocalManager } from "./local-manager.js";
import { OverlayJoinError } from "./errors.js";
import { publishedPortRules, sameRules } from "./published-ports.js";
import { reconcile, type Action, type LocalContainer } from "./reconcile.js";
import { Session } from "./session.js";
import type { AgentStateFiles } from "./state-files.js";
import type { AgentOptions } from "./agent-options.js";
import { defaultAddress, describeNode } from "./node-description.js";
import { taskContainersOf } from "./task-containers.js";
import { StatusReporter } from "./status-reporter.js";
import { TaskActions } from "./task-actions.js";

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
  /** Resolves when the agent has stopped: with the error that stopped it (a refused join token), if any. */
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
  nodeId: string | undefined;
}

/** The agent's parts wired together: session, reconcile loop, actions, status, logs and local API. */
export class AgentRuntime implements Agent {
  private readonly session: Session;
  private readonly reporter: StatusReporter;
  private readonly actions: TaskActions;
  private readonly logStreams: LogStreams;
  private readonly attachments: AttachmentTracker | undefined;
  private assigned: ReadonlyMap<string, Task> = new Map();
  private view: NetworkView = EMPTY_NETWORK_VIEW;
  private viewWaiters: (() => void)[] = [];
  private readonly overlaySync: OverlaySync | undefined;
  private dns: DnsServer | undefined;
  private managerStarted = false;
  /** The node's routing-mesh endpoint, once made. */
  private mesh: { netns: string; subnet: string } | undefined;
  private readonly busy = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private passRunning = false;
  /** Tasks whose action finished while the current pass was reading the node: its view of them is stale. */
  private settledDuringPass: Set<string> | undefined;
  private passAgain = false;
  private lastRules: PublishedPortRule[] | undefined;
  private api: FastifyInstance | undefined;
  private unsubExecutor: (() => void) | undefined;
  private fatal: InvalidTokenError | undefined;
  private stopping: Promise<void> | undefined;
  private resolveDone!: (e: Error | undefined) => void;
  readonly done: Promise<Error | undefined>;

  constructor(private readonly w: Wiring) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.session = new Session({
      bus: w.bus,
      join: w.join,
      nodeId: w.nodeId,
      log: w.log,
      ...(w.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: w.requestTimeoutMs }),
      hooks: {
        describe: () => this.describe(),
        onNodeId: async (nodeId) => {
          await w.files.writeNodeId(nodeId);
          this.logStreams.listen(nodeId);
        },
        onSession: () => this.reporter.resendAll(),
        onAssignments: (set: AssignmentSet) => {
          this.assigned = set.tasks;
          if (set.node?.role === "manager" && set.node.managerJoin) this.ensureManager(set.node.managerJoin);
          if (set.network !== this.view) {
            this.view = set.network;
            for (const wake of this.viewWaiters.splice(0)) wake();
            this.overlaySync?.kick();
          }
          this.schedule();
        },
        onConnected: (connected) => {
          w.log.info(connected ? "connected to the managers" : "lost the managers; tasks keep running");
          if (connected) this.reporter.flush();
          this.schedule();
        },
        onFatal: (err) => {
          this.fatal = err;
          if (this.api) void this.stop();
        },
      },
    });
    this.reporter = new StatusReporter({ send: (u) => this.session.sendStatus(u), ...(w.statusFlushMs === undefined ? {} : { flushMs: w.statusFlushMs }) });
    this.attachments = w.network ? new AttachmentTracker(w.network) : undefined;
    this.overlaySync = w.overlay && this.attachments ? new OverlaySync({ overlay: w.overlay, desired: () => this.overlayDesired(), log: w.log }) : undefined;
    this.actions = new TaskActions({
      executor: w.executor,
      network: this.attachments,
      reporter: this.reporter,
      nodeId: () => this.session.nodeId ?? "",
      hostname: w.hostname,
      current: (id) => this.assigned.get(id),
      log: w.log,
      starts: new Limiter(w.startConcurrency ?? 8 * os.availableParallelism()),
      ...(this.overlaySync ? { joinOverlay: (task: Task) => this.joinOverlay(task) } : {}),
      dnsServers: () => (this.dns ? [this.dns.address] : undefined),
    });
    this.logStreams = new LogStreams({
      bus: w.bus,
      subjects: this.session.subjects,
      executor: w.executor,
      hasTask: async (id) => (await this.taskContainers()).has(id),
      log: w.log,
    });
  }

  get nodeId(): string | undefined {
    return this.session.nodeId;
  }

  /** Starts serving; returns the refusal of the join token if the first registration got one. */
  async start(): Promise<InvalidTokenError | undefined> {
    this.unsubExecutor = this.w.executor.subscribe((e) => {
      if (e.type === "exit" || e.type === "health" || e.type === "oom") this.schedule();
    });
    if (this.w.nodeId) this.logStreams.listen(this.w.nodeId);
    await this.startDns();
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
      ...(this.session.nodeId === undefined ? {} : { nodeId: this.session.nodeId }),
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
      await this.dns?.close();
      this.overlaySync?.close();
      while (this.inFlight.size > 0 || this.passRunning) await Promise.allSettled([...this.inFlight, new Promise((r) => setImmediate(r))]);
      if (leave) {
        for (const id of (await this.taskContainers()).keys()) await this.actions.run({ type: "remove", taskId: id, container: true, attached: false });
        await this.w.overlay?.teardown();
        if (this.mesh) await removeMeshRoute(this.mesh.subnet);
        if (this.w.network) {
          for (const a of await this.w.network.attachments()) await this.w.network.detach(a.taskId);
          await this.w.network.teardown();
        }
        await this.w.files.remove();
      }
      for (const close of this.w.owned.reverse()) await close().catch((e: unknown) => this.w.log.warn("close failed", { error: e }));
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

  /** The node as it registers: resources, labels and the tasks whose containers exist now. */
  private async describe(): Promise<Omit<RegisterRequest, "nodeId" | "joinToken">> {
    return describeNode(this.w, await this.taskContainers());
  }

  /** Shoal's task containers on the node, as reconcile sees them. */
  private async taskContainers(infos?: ContainerInfo[]): Promise<Map<string, LocalContainer>> {
    return taskContainersOf(infos ?? (await this.w.executor.list()));
  }

  /** Runs a reconcile pass soon; passes never overlap (one more runs if asked during one). */
  private schedule(): void {
    if (this.stopping) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    void (async () => {
      try {
        do {
          this.passAgain = false;
          await this.pass();
        } while (this.passAgain && !this.stopping);
      } catch (e) {
        this.w.log.error("reconcile pass failed", { error: e });
      } finally {
        this.passRunning = false;
      }
    })();
  }

  private async pass(): Promise<void> {
    const settled = new Set<string>();
    this.settledDuringPass = settled;
    const infos = await this.w.executor.list();
    const containers = await this.taskContainers(infos);
    const attachments = (await this.attachments?.list()) ?? new Map<string, string>();
    const mayRemoveUnassigned = this.session.fullSetReceived && this.session.connected;
    // A task whose action ended after the containers were read is as good as busy: the pass that its end
    // scheduled sees it as it is now.
    const busy = new Set([...this.busy, ...settled]);
    this.settledDuringPass = undefined;
    const actions = reconcile(this.assigned, {
      containers,
      attached: new Set([...attachments.keys()].filter((id) => id !== MESH_SANDBOX)),
      reported: this.reporter.states(),
      busy,
      mayRemoveUnassigned,
    });
    for (const a of actions) this.dispatch(a);
    if (mayRemoveUnassigned) {
      for (const id of this.reporter.states().keys()) if (!this.assigned.has(id) && !containers.has(id) && !busy.has(id)) this.reporter.forget(id);
    }
    if (this.w.network) {
      const running = [...this.assigned.values()].flatMap((task) => {
        const addr = attachments.get(task.id);
        return containers.get(task.id)?.status === "running" && !isTerminal(task.desiredState) && addr ? [{ task, address: addr }] : [];
      });
      await this.ensureMesh();
      const local = publishedPortRules(running);
      const rules = this.mesh ? withMesh(local, this.view, this.session.nodeId ?? "") : local;
      if (!this.lastRules || !sameRules(rules, this.lastRules)) {
        await this.w.network.publish(rules);
        this.lastRules = rules;
      }
    }
  }

  /** A promoted node runs a manager: starts it unless one runs already (once per agent process). */
  private ensureManager(join: { managers: string[]; token: string }): void {
    if (this.managerStarted || !shouldStartManager(this.w.dataDir)) return;
    const cliBin = this.w.cliBin ?? process.argv[1] ?? "";
    if (!/shoal(\.mjs)?$/.test(cliBin)) {
      this.w.log.warn("promoted to manager, but this agent does not run from the shoal command, so it cannot start a manager", { cliBin });
      return;
    }
    this.managerStarted = true;
    try {
      startLocalManager({ dataDir: this.w.dataDir, cliBin, advertiseAddr: this.w.advertiseAddr ?? defaultAddress(), log: this.w.log }, join);
    } catch (e) {
      this.managerStarted = false;
      this.w.log.error("could not start this node's manager", { error: e });
    }
  }

  /**
   * Serves DNS to the tasks on the node network's gateway, when the node has overlays: service names from the
   * network view for the querying task, the rest forwarded to the host's resolvers. Without it (the address
   * is taken) tasks get the host's resolvers, and the agent says so.
   */
  private async startDns(): Promise<void> {
    const network = this.w.network;
    if (!network || !this.overlaySync || !this.attachments || this.w.dnsPort === 0) return;
    const tracker = this.attachments;
    await tracker.list();
    try {
      this.dns = await startDnsServer({
        address: network.gateway,
        port: this.w.dnsPort ?? 53,
        lookup: (name, client) => {
          const id = tracker.taskAt(client);
          return answerName(this.view, id === undefined ? undefined : this.assigned.get(id), name);
        },
        reverse: (address) => answerAddress(this.view, address),
        upstreams: upstreamsFromResolvConf(await readFile("/etc/resolv.conf", "utf8").catch(() => "")),
        log: this.w.log,
      });
    } catch (e) {
      this.w.log.warn("cannot serve DNS on the node network's gateway; tasks use the host's resolvers and find no service by name", { address: network.gateway, error: e });
    }
  }

  /** The overlay as the view and the attached tasks make it. */
  private overlayDesired(): OverlayDesiredState {
    const local: LocalTask[] = [];
    for (const task of this.assigned.values()) {
      const netns = this.attachments?.netnsOf(task.id);
      if (netns !== undefined && !isTerminal(task.desiredState)) local.push({ task, netns });
    }
    return overlayDesired(this.view, this.session.nodeId ?? "", local, this.mesh?.netns);
  }

  /**
   * Puts an attached task on its overlay networks before its container starts: waits (up to a minute) for the
   * managers' view to hold its networks, then reconciles and checks that the task's netns was attached.
   */
  private async joinOverlay(task: Task): Promise<void> {
    const ids = task.networks.filter((a) => a.addresses.length > 0).map((a) => a.networkId);
    if (ids.length === 0 || !this.overlaySync) return;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const missing = ids.filter((id) => !this.view.networks.some((n) => n.id === id));
      if (missing.length === 0) break;
      if (Date.now() > deadline || this.stopping) {
        throw new OverlayJoinError(`the managers have not described network ${missing.join(", ")} to this node yet; the task is retried elsewhere or later`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        this.viewWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const plan = await this.overlaySync.sync();
    const netns = this.attachments?.netnsOf(task.id);
    if (netns === undefined || plan.missingTasks.includes(netns)) throw new OverlayJoinError(`the task's network namespace ${netns ?? "(none)"} vanished before it joined its overlay networks`);
  }

  /** Makes (or removes) the node's routing-mesh endpoint as the view says: on ingress while a port is published through the mesh. */
  private async ensureMesh(): Promise<void> {
    if (!this.overlaySync || !this.attachments) return;
    const ingress = this.view.networks.find((n) => n.ingress);
    const wanted = ingress !== undefined && this.view.nodeAttachments.some((a) => a.networkId === ingress.id);
    if (wanted && this.mesh === undefined) {
      const a = await this.attachments.attach(MESH_SANDBOX);
      const netns = path.basename(a.netnsPath);
      await configureMeshSandbox(netns, ingress.subnet, a.address);
      this.mesh = { netns, subnet: ingress.subnet };
      await this.overlaySync.sync();
      this.w.log.info("routing mesh endpoint ready", { netns, ingress: ingress.subnet });
    } else if (!wanted && this.mesh !== undefined) {
      await removeMeshRoute(this.mesh.subnet);
      this.mesh = undefined;
      await this.overlaySync.sync();
      await this.attachments.detach(MESH_SANDBOX);
    }
  }

  private dispatch(a: Action): void {
    const id = a.type === "run" ? a.task.id : a.taskId;
    this.busy.add(id);
    const p = this.actions
      .run(a)
      .catch((e: unknown) => this.w.log.error("task action failed", { task: id, action: a.type, error: e }))
      .finally(() => {
        this.settledDuringPass?.add(id);
        this.busy.delete(id);
        this.inFlight.delete(p);
        this.schedule();
      });
    this.inFlight.add(p);
  }
}

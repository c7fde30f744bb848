import type { Node, Task } from "@shoal/api";
import { canTransition } from "@shoal/api";
import {
  AssignmentsSchema,
  decode,
  encode,
  HeartbeatReplySchema,
  HeartbeatSchema,
  RegisterReplySchema,
  RegisterRequestSchema,
  StatusBatchSchema,
  subjects,
  type Assignments,
  type BusConnection,
  type NodeRole,
  type RegisterRequest,
  type StatusBatch,
  type Subjects,
} from "@shoal/bus";
import { NotFoundError, updateOf, VersionConflictError, type Command, type StoreEvent } from "@shoal/store";
import { newSecret } from "../ids.js";
import type { ClusterStore } from "../store/cluster-store.js";
import type { LoopLog } from "../log.js";
import { networkViewFor } from "./network-view.js";
import { isAllocated } from "../model/networks.js";
import { awaitsScheduling } from "../model/unplaced.js";

interface Session {
  nodeId: string;
  sessionId: string;
  seq: number;
  /** Task ids the agent was told about. */
  sent: Set<string>;
  pending: Map<string, { op: "upsert"; task: Task } | { op: "remove"; taskId: string }>;
  flushScheduled: boolean;
  /** The network view last sent, as JSON (a new one is sent only when it differs). */
  view: string;
}

export interface DispatcherOptions {
  bus: BusConnection;
  store: ClusterStore;
  clusterId: string;
  log: LoopLog;
  clock?: () => number;
}

/**
 * The managers' side of the agent protocol: registers agents (nodes the cluster has: node objects are created
 * when a node joins, through the API), keeps one session per node, sends each agent its full task set and then deltas as
 * the store changes, and its network view whenever that changes, records heartbeats for the node monitor, and writes the agents' task status reports to
 * the store (only forward moves of tasks the node owns). Runs on the leader.
 */
export class Dispatcher {
  /** Last heartbeat per node, epoch ms (the node monitor reads it). */
  readonly heartbeats = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly subs: (() => void)[] = [];
  private readonly s: Subjects;
  private readonly clock: () => number;
  private stopped = false;
  private viewsScheduled = false;

  constructor(private readonly o: DispatcherOptions) {
    this.s = subjects(o.clusterId);
    this.clock = o.clock ?? Date.now;
    this.subs.push(
      o.bus.subscribe(this.s.allRegister, (m) => void this.onRegister(m.subject, m.data, m.respond), {
        queue: "managers",
      }),
    );
    this.subs.push(
      o.bus.subscribe(this.s.allHeartbeats, (m) => this.onHeartbeat(m.subject, m.data, m.respond), {
        queue: "managers",
      }),
    );
    this.subs.push(
      o.bus.subscribe(this.s.allStatus, (m) => void this.onStatus(m.subject, m.data), { queue: "managers" }),
    );
    this.subs.push(o.store.watch((events) => this.onStoreEvents(events)));
  }

  private period(): number {
    return this.o.store.state.cluster()?.spec.heartbeatPeriodMs ?? 1_000;
  }

  /** Node ids with a live session. */
  connected(): string[] {
    return [...this.sessions.keys()];
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.subs.splice(0)) u();
    this.sessions.clear();
  }

  /**
   * A registration on agent.<node>.register. The node is the one the subject names: the bus server lets only the
   * agent holding that node's certificate publish there (libs/bus/src/permissions.ts), so the body need not say.
   */
  private async onRegister(subject: string, data: Uint8Array, respond: (d: Uint8Array) => void): Promise<void> {
    const reply = (r: Parameters<typeof encode<typeof RegisterReplySchema>>[2]) =>
      respond(encode(RegisterReplySchema, subject, r));
    const nodeId = this.s.nodeOf(subject);
    let req: RegisterRequest;
    try {
      if (!nodeId) throw new Error(`${subject} names no node`);
      req = decode(RegisterRequestSchema, subject, data);
    } catch (e) {
      reply({ ok: false, code: "SHOAL_ERR_BUS_PROTOCOL", message: (e as Error).message });
      return;
    }
    if (!this.o.store.state.cluster()) {
      reply({
        ok: false,
        code: "SHOAL_ERR_NOT_READY",
        message: "the cluster is not initialized yet: retry",
      });
      return;
    }
    // Node ids are given at join (POST /v1/cluster/join), where the node object is created: an agent registers
    // only as a node the cluster has. A removed node, or one whose id was never given, must join again.
    if (!this.o.store.state.get("node", nodeId)) {
      reply({
        ok: false,
        code: "SHOAL_ERR_UNKNOWN_NODE",
        message: `the cluster has no node ${nodeId} (it was removed, or this node's state belongs to another cluster): leave with \`shoal cluster leave\` and join again`,
      });
      return;
    }
    let role: string;
    try {
      role = await this.updateNode(nodeId, req);
    } catch (e) {
      reply({
        ok: false,
        code: e instanceof NotFoundError ? "SHOAL_ERR_UNKNOWN_NODE" : "SHOAL_ERR_UNAVAILABLE",
        message: `registration failed: ${(e as Error).message}; ${e instanceof NotFoundError ? "join again" : "retry"}`,
      });
      return;
    }
    if (this.stopped) return;
    const network = networkViewFor(this.o.store.state, nodeId);
    const session: Session = {
      nodeId,
      sessionId: newSecret(20),
      seq: 0,
      sent: new Set(),
      pending: new Map(),
      flushScheduled: false,
      view: JSON.stringify(network),
    };
    this.sessions.set(nodeId, session);
    this.heartbeats.set(nodeId, this.clock());
    reply({ ok: true, nodeId, sessionId: session.sessionId, heartbeatPeriodMs: this.period() });
    this.o.log.info("agent registered", { node: nodeId, hostname: req.hostname, role });
    // The full set right after the reply: the agent subscribed to its assignments before registering.
    const tasks = this.o.store.state.tasksOfNode(nodeId).filter((t) => this.dispatchable(t));
    this.send(session, {
      type: "full",
      sessionId: session.sessionId,
      seq: ++session.seq,
      tasks,
      network,
      node: this.roleOf(nodeId),
    });
    session.sent = new Set(tasks.map((t) => t.id));
  }

  /** Records what the agent says of its node and marks it ready; resolves with the node's role. */
  private async updateNode(nodeId: string, req: RegisterRequest): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const existing = this.o.store.state.get("node", nodeId);
      if (!existing) throw new NotFoundError("node", nodeId);
      const description: Node["description"] = {
        hostname: req.hostname,
        platform: req.platform,
        resources: req.resources,
        engine: { version: req.engineVersion, labels: req.labels },
      };
      const status: Node["status"] = { state: "ready", message: "", addr: req.addr };
      try {
        await this.o.store.write([updateOf("node", existing, { description, status })]);
        return existing.spec.role;
      } catch (e) {
        if (attempt < 5 && e instanceof VersionConflictError) continue;
        throw e;
      }
    }
  }

  private onHeartbeat(subject: string, data: Uint8Array, respond: (d: Uint8Array) => void): void {
    const nodeId = this.s.nodeOf(subject) ?? "";
    const out = (r: Parameters<typeof encode<typeof HeartbeatReplySchema>>[2]) =>
      respond(encode(HeartbeatReplySchema, subject, r));
    let hb;
    try {
      hb = decode(HeartbeatSchema, subject, data);
    } catch (e) {
      out({ ok: false, code: "SHOAL_ERR_BUS_PROTOCOL", message: (e as Error).message });
      return;
    }
    const session = this.sessions.get(nodeId);
    if (!session || session.sessionId !== hb.sessionId) {
      out({ ok: false, code: "SHOAL_ERR_SESSION", message: "unknown session: register again" });
      return;
    }
    this.heartbeats.set(nodeId, this.clock());
    out({ ok: true, heartbeatPeriodMs: this.period() });
  }

  private async onStatus(subject: string, data: Uint8Array): Promise<void> {
    const nodeId = this.s.nodeOf(subject) ?? "";
    let batch: StatusBatch;
    try {
      batch = decode(StatusBatchSchema, subject, data);
    } catch (e) {
      this.o.log.warn("bad status batch", { node: nodeId, error: (e as Error).message });
      return;
    }
    const session = this.sessions.get(nodeId);
    if (!session || session.sessionId !== batch.sessionId) return; // the agent re-registers and reports again
    this.heartbeats.set(nodeId, this.clock());
    for (let attempt = 0; attempt < 5; attempt++) {
      const commands: Command[] = [];
      for (const u of batch.updates) {
        const t = this.o.store.state.get("task", u.taskId);
        if (!t || t.nodeId !== nodeId) continue;
        if (u.status.state === t.status.state || !canTransition(t.status.state, u.status.state)) continue;
        commands.push(updateOf("task", t, { status: u.status }));
      }
      try {
        await this.o.store.write(commands);
        return;
      } catch (e) {
        if (e instanceof VersionConflictError || e instanceof NotFoundError) continue;
        this.o.log.warn("status write failed", { node: nodeId, error: (e as Error).message });
        return;
      }
    }
  }

  /** Whether a task on a node goes to its agent: addressed on its networks, and placed (not new or pending). */
  private dispatchable(t: Task): boolean {
    return !awaitsScheduling(t) && isAllocated(this.o.store.state, t);
  }

  /** The node's role, with what its agent needs to start a manager when it is one. */
  private roleOf(nodeId: string): NodeRole {
    const role = this.o.store.state.get("node", nodeId)?.spec.role ?? "worker";
    const cluster = this.o.store.state.cluster();
    if (role !== "manager" || !cluster || cluster.managers.length === 0) return { role };
    return {
      role,
      managerJoin: { managers: cluster.managers.map((m) => m.apiAddr) },
    };
  }

  private onStoreEvents(events: StoreEvent[]): void {
    if (events.some((e) => e.kind === "task" || e.kind === "service" || e.kind === "network" || e.kind === "node"))
      this.scheduleViews();
    for (const e of events) {
      if (e.kind === "node" && e.op === "update" && e.previous?.spec.role !== e.object.spec.role) {
        const session = this.sessions.get(e.object.id);
        if (session)
          this.send(session, {
            type: "node",
            sessionId: session.sessionId,
            seq: ++session.seq,
            node: this.roleOf(e.object.id),
          });
      }
      if (e.kind === "node" && e.op !== "create" && (e.op === "delete" || e.object.status.state === "down")) {
        // A node marked down (or removed) loses its session: when its agent is back it registers again.
        this.sessions.delete(e.object.id);
        continue;
      }
      if (e.kind !== "task") continue;
      const t = e.object;
      const prevNode = e.previous?.nodeId;
      if (e.op === "delete") this.queue(t.nodeId, { op: "remove", taskId: t.id });
      else {
        if (prevNode && prevNode !== t.nodeId) this.queue(prevNode, { op: "remove", taskId: t.id });
        // A task goes to its node once it has its addresses (global services' tasks are placed before that).
        if (t.nodeId && this.dispatchable(t)) this.queue(t.nodeId, { op: "upsert", task: t });
      }
    }
  }

  private queue(
    nodeId: string | undefined,
    change: { op: "upsert"; task: Task } | { op: "remove"; taskId: string },
  ): void {
    if (!nodeId) return;
    const session = this.sessions.get(nodeId);
    if (!session) return;
    const id = change.op === "upsert" ? change.task.id : change.taskId;
    if (change.op === "remove" && !session.sent.has(id) && !session.pending.has(id)) return;
    session.pending.set(id, change);
    if (session.flushScheduled) return;
    session.flushScheduled = true;
    // One delta per node for everything applied in this turn of the event loop.
    setImmediate(() => {
      session.flushScheduled = false;
      if (this.sessions.get(nodeId) !== session || session.pending.size === 0) return;
      const changes = [...session.pending.values()];
      session.pending.clear();
      for (const c of changes) {
        if (c.op === "upsert") session.sent.add(c.task.id);
        else session.sent.delete(c.taskId);
      }
      this.send(session, { type: "delta", sessionId: session.sessionId, seq: ++session.seq, changes });
    });
  }

  /** Sends each agent its network view, if it changed, once for everything applied in this turn of the event loop. */
  private scheduleViews(): void {
    if (this.viewsScheduled) return;
    this.viewsScheduled = true;
    setImmediate(() => {
      this.viewsScheduled = false;
      if (this.stopped) return;
      for (const session of this.sessions.values()) {
        const network = networkViewFor(this.o.store.state, session.nodeId);
        const json = JSON.stringify(network);
        if (json === session.view) continue;
        session.view = json;
        this.send(session, { type: "network", sessionId: session.sessionId, seq: ++session.seq, network });
      }
    });
  }

  private send(session: Session, msg: Assignments): void {
    const subject = this.s.assignments(session.nodeId);
    try {
      this.o.bus.publish(subject, encode(AssignmentsSchema, subject, msg));
    } catch (e) {
      this.o.log.warn("cannot send assignments", { node: session.nodeId, error: (e as Error).message });
    }
  }
}

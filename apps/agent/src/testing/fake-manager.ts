import { canTransition, type Task, type TaskState } from "@shoal/api";
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
} from "@shoal/bus";
import type { Assignments, BusConnection, RegisterRequest, StatusBatch, Subjects } from "@shoal/bus";

type Change = Extract<Assignments, { type: "delta" }>["changes"][number];

export interface FakeManagerOptions {
  clusterId: string;
  heartbeatPeriodMs?: number;
}

/**
 * A manager for the agent's tests, on any bus: answers register (any node id, as if it had joined) and heartbeats,
 * keeps one session per node, sends the full set after each registration (unless `holdFullSets`) and deltas
 * when tests change tasks, and records every status update (applying forward moves to its tasks, as the real
 * dispatcher does).
 */
export class FakeManager {
  readonly s: Subjects;
  /** Every registration, with the node its subject named. */
  readonly registrations: (RegisterRequest & { nodeId: string })[] = [];
  readonly updates: { nodeId: string; taskId: string; status: StatusBatch["updates"][number]["status"] }[] = [];
  readonly tasks = new Map<string, Task>();
  heartbeats = 0;
  /** While set, registrations get this refusal. */
  refuse: { code: string; message: string } | undefined;
  /** While true, registrations get no full set (tests send it with `sendFull`). */
  holdFullSets = false;
  private readonly sessions = new Map<string, { sessionId: string; seq: number }>();
  private readonly listeners = new Set<() => void>();
  private readonly unsubs: (() => void)[];
  private nextSession = 1;

  constructor(
    private readonly bus: BusConnection,
    private readonly o: FakeManagerOptions,
  ) {
    this.s = subjects(o.clusterId);
    this.unsubs = [
      bus.subscribe(this.s.allRegister, (m) => this.onRegister(m.subject, m.data, m.respond)),
      bus.subscribe(this.s.allHeartbeats, (m) => {
        const nodeId = this.s.nodeOf(m.subject) ?? "";
        const hb = decode(HeartbeatSchema, m.subject, m.data);
        this.heartbeats++;
        const ok = this.sessions.get(nodeId)?.sessionId === hb.sessionId;
        m.respond(
          encode(
            HeartbeatReplySchema,
            m.subject,
            ok
              ? { ok: true, heartbeatPeriodMs: this.period }
              : { ok: false, code: "SHOAL_ERR_SESSION", message: "unknown session: register again" },
          ),
        );
        this.changed();
      }),
      bus.subscribe(this.s.allStatus, (m) => {
        const nodeId = this.s.nodeOf(m.subject) ?? "";
        const batch = decode(StatusBatchSchema, m.subject, m.data);
        if (this.sessions.get(nodeId)?.sessionId !== batch.sessionId) return;
        const seen = new Set<string>();
        for (const u of batch.updates) {
          if (seen.has(u.taskId)) throw new Error(`fake manager: task ${u.taskId} twice in one status batch`);
          seen.add(u.taskId);
          this.updates.push({ nodeId, ...u });
          const t = this.tasks.get(u.taskId);
          if (t && t.status.state !== u.status.state && canTransition(t.status.state, u.status.state))
            this.tasks.set(t.id, { ...t, status: u.status });
        }
        this.changed();
      }),
    ];
  }

  get period(): number {
    return this.o.heartbeatPeriodMs ?? 50;
  }

  /** The node's current session id. */
  sessionOf(nodeId: string): string | undefined {
    return this.sessions.get(nodeId)?.sessionId;
  }

  /** Forgets a node's session (its next heartbeat is refused). */
  dropSession(nodeId: string): void {
    this.sessions.delete(nodeId);
  }

  /** Every state reported for a task, in order. */
  statesOf(taskId: string): TaskState[] {
    return this.updates.filter((u) => u.taskId === taskId).map((u) => u.status.state);
  }

  /** The last status reported for a task. */
  lastStatus(taskId: string): StatusBatch["updates"][number]["status"] | undefined {
    return this.updates.filter((u) => u.taskId === taskId).at(-1)?.status;
  }

  /** Assigns (or changes) a task on `nodeId`; a connected node gets a delta. */
  assign(nodeId: string, task: Task): Task {
    const t = { ...task, nodeId };
    this.tasks.set(t.id, t);
    this.delta(nodeId, [{ op: "upsert", task: t }]);
    return t;
  }

  /** Changes a task's desired state. */
  setDesired(taskId: string, desired: TaskState): void {
    const t = this.mustGet(taskId);
    this.assign(t.nodeId ?? "", { ...t, desiredState: desired });
  }

  /** Takes a task off its node. */
  unassign(taskId: string): void {
    const t = this.mustGet(taskId);
    this.tasks.delete(taskId);
    this.delta(t.nodeId ?? "", [{ op: "remove", taskId }]);
  }

  /** Sends the node's full set now. */
  sendFull(nodeId: string): void {
    const session = this.sessions.get(nodeId);
    if (!session) throw new Error(`fake manager: no session of node ${nodeId}`);
    this.publish(nodeId, {
      type: "full",
      sessionId: session.sessionId,
      seq: ++session.seq,
      tasks: [...this.tasks.values()].filter((t) => t.nodeId === nodeId),
    });
  }

  /** Sends a delta; `skip` leaves a gap in the sequence (as if messages were lost). */
  delta(nodeId: string, changes: Change[], skip = 0): void {
    const session = this.sessions.get(nodeId);
    if (!session) return;
    session.seq += 1 + skip;
    this.publish(nodeId, { type: "delta", sessionId: session.sessionId, seq: session.seq, changes });
  }

  /** Resolves once `check` holds (checked now and after every message the manager gets). */
  until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener = () => {
        if (!check()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `fake manager: timed out waiting for ${what}; statuses: ${JSON.stringify(this.updates.map((u) => `${u.taskId}:${u.status.state}`))}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  close(): void {
    for (const u of this.unsubs.splice(0)) u();
  }

  private onRegister(subject: string, data: Uint8Array, respond: (d: Uint8Array) => void): void {
    const nodeId = this.s.nodeOf(subject) ?? "";
    const req = decode(RegisterRequestSchema, subject, data);
    this.registrations.push({ ...req, nodeId });
    const reply = (r: Parameters<typeof encode<typeof RegisterReplySchema>>[2]) =>
      respond(encode(RegisterReplySchema, subject, r));
    if (this.refuse) reply({ ok: false, ...this.refuse });
    else {
      const sessionId = `s${this.nextSession++}`;
      this.sessions.set(nodeId, { sessionId, seq: 0 });
      reply({ ok: true, nodeId, sessionId, heartbeatPeriodMs: this.period });
      if (!this.holdFullSets) this.sendFull(nodeId);
    }
    this.changed();
  }

  private publish(nodeId: string, msg: Assignments): void {
    const subject = this.s.assignments(nodeId);
    this.bus.publish(subject, encode(AssignmentsSchema, subject, msg));
  }

  private mustGet(taskId: string): Task {
    const t = this.tasks.get(taskId);
    if (!t) throw new Error(`fake manager: no task ${taskId}`);
    return t;
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }
}

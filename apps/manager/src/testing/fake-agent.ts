import { isTerminal, type Task, type TaskState } from "@shoal/api";
import {
  AssignmentsSchema,
  HeartbeatReplySchema,
  HeartbeatSchema,
  RegisterReplySchema,
  RegisterRequestSchema,
  StatusBatchSchema,
} from "@shoal/bus";
import {
  decode,
  encode,
  EMPTY_NETWORK_VIEW,
  subjects,
  type BusConnection,
  type NetworkView,
  type RegisterReply,
  type Subjects,
} from "@shoal/bus";

export interface FakeAgentOptions {
  bus: BusConnection;
  clusterId: string;
  /** The id the agent registers with (a real agent keeps it in its data dir). */
  nodeId: string;
  hostname?: string;
  /** Run assigned tasks and stop tasks told to stop, reporting each (default true). */
  autoRun?: boolean;
}

/**
 * An agent's side of the manager-agent protocol, without containers: it subscribes to its assignments,
 * registers, heartbeats on demand, keeps the task set the managers send, and reports task states.
 */
export class FakeAgent {
  /** The task set as the managers last sent it. */
  readonly tasks = new Map<string, Task>();
  /** The last network view the managers sent. */
  network: NetworkView = EMPTY_NETWORK_VIEW;
  /** Every assignments message, in order (`full` or `delta`). */
  readonly received: string[] = [];
  sessionId: string | undefined;
  private readonly s: Subjects;
  private readonly reported = new Map<string, TaskState>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: FakeAgentOptions) {
    this.s = subjects(o.clusterId);
    this.unsubscribe = o.bus.subscribe(this.s.assignments(o.nodeId), (m) => this.onAssignments(m.data));
  }

  get nodeId(): string {
    return this.o.nodeId;
  }

  /** Registers (again); resolves with the manager's reply. */
  async register(): Promise<RegisterReply> {
    const subject = this.s.register(this.o.nodeId);
    const request = encode(RegisterRequestSchema, subject, {
      hostname: this.o.hostname ?? `host-${this.o.nodeId}`,
      addr: "127.0.0.1",
      platform: { os: "linux", architecture: "x86_64" },
      resources: { cpus: 2, memoryBytes: 4 * 2 ** 30 },
      engineVersion: "test",
    });
    const reply = decode(RegisterReplySchema, subject, await this.o.bus.request(subject, request, 2_000));
    if (reply.ok) this.sessionId = reply.sessionId;
    return reply;
  }

  /** Sends one heartbeat; resolves with the reply's code (`ok` when accepted). */
  async beat(): Promise<string> {
    const subject = this.s.heartbeat(this.o.nodeId);
    const data = await this.o.bus.request(
      subject,
      encode(HeartbeatSchema, subject, { sessionId: this.sessionId ?? "none" }),
      2_000,
    );
    const reply = decode(HeartbeatReplySchema, subject, data);
    return reply.ok ? "ok" : reply.code;
  }

  /** Heartbeats every `everyMs` until `stopHeartbeats`. */
  startHeartbeats(everyMs: number): void {
    this.stopHeartbeats();
    this.heartbeat = setInterval(() => void this.beat().catch(() => undefined), everyMs);
  }

  stopHeartbeats(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Reports task states in one batch. */
  report(updates: readonly { taskId: string; state: TaskState; message?: string }[]): void {
    const subject = this.s.status(this.o.nodeId);
    const timestamp = new Date().toISOString();
    this.o.bus.publish(
      subject,
      encode(StatusBatchSchema, subject, {
        sessionId: this.sessionId ?? "none",
        updates: updates.map((u) => ({
          taskId: u.taskId,
          status: { state: u.state, timestamp, message: u.message ?? "" },
        })),
      }),
    );
  }

  close(): void {
    this.stopHeartbeats();
    this.unsubscribe();
  }

  private onAssignments(data: Uint8Array): void {
    const msg = decode(AssignmentsSchema, this.s.assignments(this.o.nodeId), data);
    this.received.push(msg.type);
    if (msg.type === "full") {
      // The full set may arrive before the register reply is read: it names the session.
      this.sessionId = msg.sessionId;
      this.tasks.clear();
      for (const t of msg.tasks) this.tasks.set(t.id, t);
      if (msg.network) this.network = msg.network;
    } else if (msg.type === "network") {
      this.network = msg.network;
      return;
    } else if (msg.type === "node") {
      return;
    } else {
      for (const c of msg.changes) {
        if (c.op === "upsert") this.tasks.set(c.task.id, c.task);
        else this.tasks.delete(c.taskId);
      }
    }
    if (this.o.autoRun ?? true) this.act();
  }

  /** Runs what should run and stops what should stop, reporting each change once. */
  private act(): void {
    const updates: { taskId: string; state: TaskState }[] = [];
    for (const t of this.tasks.values()) {
      if (isTerminal(t.status.state)) continue;
      const want: TaskState = t.desiredState === "running" ? "running" : "shutdown";
      if (t.status.state === want || this.reported.get(t.id) === want) continue;
      this.reported.set(t.id, want);
      updates.push({ taskId: t.id, state: want });
    }
    if (updates.length > 0) this.report(updates);
  }
}

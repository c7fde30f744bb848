import type { JoinInfo } from "@shoal/api";
import { applyAssignments, AssignmentsSchema, decode, encode, subjects } from "@shoal/bus";
import {
  HeartbeatReplySchema,
  HeartbeatSchema,
  RegisterReplySchema,
  RegisterRequestSchema,
  StatusBatchSchema,
} from "@shoal/bus";
import type { Assignments, AssignmentSet, BusConnection, RegisterRequest, StatusBatch, Subjects } from "@shoal/bus";
import { UnknownNodeError } from "./errors.js";
import type { AgentLog } from "./log.js";

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** Heartbeats missed in a row before the agent registers again. */
const MAX_MISSES = 3;

/** What the session tells the agent. */
export interface SessionHooks {
  /** The node as it describes itself when registering (which node it is, the register subject says). */
  readonly describe: () => Promise<RegisterRequest>;
  /** A new session began (statuses must be sent again). */
  readonly onSession: () => void;
  /** The assignment set changed (`full`: a full set of the current session). */
  readonly onAssignments: (set: AssignmentSet, full: boolean) => void;
  /** The agent lost or regained the managers. */
  readonly onConnected: (connected: boolean) => void;
  /** The managers do not know this node (it was removed): the agent must stop. */
  readonly onFatal: (err: UnknownNodeError) => void;
}

export interface SessionOptions {
  bus: BusConnection;
  /** What joining gave: the cluster, and the node id the cluster gave this node. */
  join: Pick<JoinInfo, "clusterId" | "nodeId">;
  hooks: SessionHooks;
  log: AgentLog;
  /** Timeout of a register or heartbeat request; default 5 s. */
  requestTimeoutMs?: number;
}

/**
 * The agent's session with the managers over the bus: registers (subscribed to its assignments first, since
 * the full set follows the reply at once), heartbeats every period, and registers again (with backoff
 * 250 ms .. 5 s) when the session is unknown, heartbeats time out, the bus reconnects or the assignments need a
 * resync. Assignments are applied in sequence; messages of other sessions are ignored.
 */
export class Session {
  readonly subjects: Subjects;
  readonly nodeId: string;
  sessionId: string | undefined;
  heartbeatPeriodMs = 1_000;
  /** A full set of the current session was applied. */
  fullSetReceived = false;
  private set: AssignmentSet | undefined;
  private registering = false;
  private early: Assignments[] = [];
  private unsubAssignments: (() => void) | undefined;
  private readonly unsubStatus: () => void;
  private readonly unsubRefusals: () => void;
  private busUp = true;
  private connectedNow = false;
  private stopped = false;
  private resync = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private firstAttempt: (() => void) | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly o: SessionOptions) {
    this.subjects = subjects(o.join.clusterId);
    this.nodeId = o.join.nodeId;
    this.timeoutMs = o.requestTimeoutMs ?? 5_000;
    this.unsubStatus = o.bus.onStatus((s) => {
      if (s === "connected") {
        this.busUp = true;
        // Deltas may have been lost while the bus was down: start a new session with a full set.
        this.requestResync("the bus reconnected");
      } else if (s === "refused") {
        // The servers dropped this node's user at a reload: the node was removed, as an unknown node is.
        this.busUp = false;
        this.setConnected(false);
        this.o.hooks.onFatal(
          new UnknownNodeError(
            "the managers' bus refused this node's certificate: the cluster no longer has this node; leave with `shoal cluster leave` and join again",
          ),
        );
      } else {
        this.busUp = false;
        this.setConnected(false);
      }
    });
    // The server allows this node's subjects only: a refusal is a bug (or a node id that is not this node's).
    this.unsubRefusals = o.bus.onPermissionError((e) =>
      this.o.log.error("the bus refused a subject outside this node's", { error: e }),
    );
  }

  /** Whether the agent has a live session with the managers. */
  get connected(): boolean {
    return this.connectedNow;
  }

  /** Starts the session loop; resolves after the first registration attempt ended (well or not). */
  start(): Promise<void> {
    const first = new Promise<void>((resolve) => (this.firstAttempt = resolve));
    this.loop = this.run().catch((e: unknown) => this.o.log.error("session loop failed", { error: e }));
    return first;
  }

  /** Registers again soon (a resync was needed). */
  requestResync(reason: string): void {
    if (this.stopped) return;
    this.o.log.info("registering again", { reason });
    this.resync = true;
    this.wake?.();
  }

  /** Publishes a status batch of the current session; false when there is none or the bus is down. */
  sendStatus(updates: StatusBatch["updates"]): boolean {
    if (!this.connectedNow || !this.sessionId || !this.nodeId) return false;
    const subject = this.subjects.status(this.nodeId);
    try {
      this.o.bus.publish(subject, encode(StatusBatchSchema, subject, { sessionId: this.sessionId, updates }));
      return true;
    } catch (e) {
      this.o.log.warn("cannot send task status", { error: e });
      return false;
    }
  }

  /** Ends the loop and the subscriptions (the managers notice the missing heartbeats). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    this.unsubAssignments?.();
    this.unsubStatus();
    this.unsubRefusals();
    this.setConnected(false);
    await this.loop;
  }

  private async run(): Promise<void> {
    let backoff = MIN_BACKOFF_MS;
    while (!this.stopped) {
      this.resync = false;
      const r = await this.register();
      this.firstAttempt?.();
      this.firstAttempt = undefined;
      if (r === "fatal" || this.stopped) return;
      if (r === "retry") {
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      backoff = MIN_BACKOFF_MS;
      if (r === "ok") await this.heartbeats();
    }
  }

  /** One registration. */
  private async register(): Promise<"ok" | "retry" | "fatal"> {
    this.registering = true;
    this.early = [];
    this.sessionId = undefined;
    this.fullSetReceived = false;
    this.setConnected(false);
    try {
      const nodeId = this.nodeId;
      this.subscribeAssignments(nodeId);
      const request: RegisterRequest = await this.o.hooks.describe();
      const subject = this.subjects.register(nodeId);
      let reply;
      try {
        reply = decode(
          RegisterReplySchema,
          subject,
          await this.o.bus.request(subject, encode(RegisterRequestSchema, subject, request), this.timeoutMs),
        );
      } catch (e) {
        this.o.log.warn("cannot register with the managers; retrying", { error: e });
        return "retry";
      }
      if (!reply.ok) {
        this.o.log.error("the managers refused the registration", { code: reply.code, message: reply.message });
        if (reply.code === "SHOAL_ERR_UNKNOWN_NODE") {
          this.o.hooks.onFatal(new UnknownNodeError(reply.message));
          return "fatal";
        }
        return "retry";
      }
      if (this.stopped) return "fatal";
      if (reply.nodeId !== nodeId) {
        this.o.log.error("the managers answered for another node; retrying", { node: nodeId, answered: reply.nodeId });
        return "retry";
      }
      this.sessionId = reply.sessionId;
      this.heartbeatPeriodMs = reply.heartbeatPeriodMs;
      this.o.log.info("registered", { node: reply.nodeId, heartbeatPeriodMs: reply.heartbeatPeriodMs });
      this.registering = false;
      this.setConnected(this.busUp);
      this.o.hooks.onSession();
      for (const msg of this.early.splice(0)) this.onAssignments(msg);
      return "ok";
    } finally {
      this.registering = false;
      this.early = [];
    }
  }

  private async heartbeats(): Promise<void> {
    let misses = 0;
    while (!this.stopped && !this.resync) {
      await this.sleep(this.heartbeatPeriodMs);
      if (this.stopped || this.resync || !this.nodeId || !this.sessionId) return;
      const subject = this.subjects.heartbeat(this.nodeId);
      try {
        const reply = decode(
          HeartbeatReplySchema,
          subject,
          await this.o.bus.request(
            subject,
            encode(HeartbeatSchema, subject, { sessionId: this.sessionId }),
            this.timeoutMs,
          ),
        );
        if (!reply.ok) {
          this.o.log.warn("the managers do not know this session", { code: reply.code, message: reply.message });
          return;
        }
        misses = 0;
        this.heartbeatPeriodMs = reply.heartbeatPeriodMs;
        this.setConnected(this.busUp);
      } catch (e) {
        misses++;
        this.o.log.warn("heartbeat failed", { misses, error: e });
        if (misses >= MAX_MISSES) {
          this.setConnected(false);
          return;
        }
      }
    }
  }

  private subscribeAssignments(nodeId: string): void {
    this.unsubAssignments?.();
    const subject = this.subjects.assignments(nodeId);
    this.unsubAssignments = this.o.bus.subscribe(subject, (m) => {
      let msg: Assignments;
      try {
        msg = decode(AssignmentsSchema, subject, m.data);
      } catch (e) {
        this.o.log.warn("bad assignments message", { error: e });
        this.requestResync("a bad assignments message");
        return;
      }
      if (this.registering) this.early.push(msg);
      else this.onAssignments(msg);
    });
  }

  private onAssignments(msg: Assignments): void {
    if (this.stopped || msg.sessionId !== this.sessionId) return;
    const r = applyAssignments(this.set?.sessionId === msg.sessionId ? this.set : undefined, msg);
    if ("resync" in r) {
      this.requestResync(r.resync);
      return;
    }
    this.set = r.set;
    if (msg.type === "full") this.fullSetReceived = true;
    this.o.hooks.onAssignments(r.set, msg.type === "full");
  }

  private setConnected(c: boolean): void {
    if (c === this.connectedNow) return;
    this.connectedNow = c;
    this.o.hooks.onConnected(c);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}

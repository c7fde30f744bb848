import { BusNoRespondersError, BusPermissionError, BusTimeoutError } from "./errors.js";
import { permits, type NatsPermissions } from "./permissions.js";
import { subjectMatches } from "./subject-match.js";

export { subjectMatches } from "./subject-match.js";

/** A message as a subscriber gets it. `respond` answers a request (no-op when the sender expects no reply). */
export interface BusMessage {
  subject: string;
  data: Uint8Array;
  reply?: string;
  readonly respond: (data: Uint8Array) => void;
}

/**
 * Connection states, for logs and for the agent's "managers unreachable" handling. `refused`: the servers refused
 * the connection's certificate for good after it had been accepted (its node was removed from the cluster, so
 * the reloaded servers no longer have its user); `closed` follows.
 */
export type BusStatus = "connected" | "disconnected" | "reconnecting" | "refused" | "closed";

/**
 * What Shoal's manager and agent need of the message bus: publish, subscribe (optionally in a queue group, so
 * one member of the group gets each message), request/reply with a timeout. `NatsBus` is the real one;
 * `MemoryBus` is the in-memory twin for tests of the dispatcher and the agent.
 */
export interface BusConnection {
  readonly publish: (subject: string, data: Uint8Array, reply?: string) => void;
  readonly subscribe: (subject: string, handler: (msg: BusMessage) => void, opts?: { queue?: string }) => () => void;
  /** Sends a request; rejects with BusTimeoutError when no reply comes in time, BusNoRespondersError when nobody listens. */
  readonly request: (subject: string, data: Uint8Array, timeoutMs: number) => Promise<Uint8Array>;
  /** A fresh subject to receive replies on (streams: logs). */
  readonly inbox: () => string;
  /** Resolves once everything published so far reached the server. */
  readonly flush: () => Promise<void>;
  readonly onStatus: (fn: (s: BusStatus) => void) => () => void;
  /**
   * Calls `fn` with each refusal by the server's permissions: a publish or subscription outside this
   * connection's subjects (the message was dropped, the subscription gets nothing).
   */
  readonly onPermissionError: (fn: (e: BusPermissionError) => void) => () => void;
  readonly close: () => Promise<void>;
}

interface Sub {
  pattern: string;
  queue?: string;
  handler: (m: BusMessage) => void;
  owner: MemoryBus;
}

/** Options of one {@link MemoryBus} connection. */
export interface MemoryBusOptions {
  /**
   * Permission mode: the connection may publish and subscribe only as these permissions allow, as a node's agent
   * on the real server (`natsPermissions`); refusals are dropped and recorded in `MemoryBusHub.refusals`. Without
   * them, everything (a manager).
   */
  permissions?: NatsPermissions;
  /** The prefix of its request inboxes (default `_INBOX.mem`); an agent's is `subjects(c).inboxPrefix(node)`. */
  inboxPrefix?: string;
}

/**
 * An in-memory bus shared by several `MemoryBus` connections (one per simulated process). Delivery is
 * asynchronous (a microtask later) and in order per subscription, like NATS. `partition(conn)` makes one
 * connection lose everything it sends and receives until `heal`, to test the agent's offline behaviour.
 */
export class MemoryBusHub {
  readonly subs = new Set<Sub>();
  private inboxes = 0;
  private readonly rr = new Map<string, number>();
  readonly cut = new Set<MemoryBus>();
  /** Every publish and subscription a connection's permissions refused, in order. */
  readonly refusals: BusPermissionError[] = [];

  connect(o: MemoryBusOptions = {}): MemoryBus {
    return new MemoryBus(this, o);
  }
  partition(c: MemoryBus): void {
    this.cut.add(c);
    c.setStatus("disconnected");
  }
  /** What the real servers do to a removed node's connection: it loses everything and reports `refused`. */
  refuse(c: MemoryBus): void {
    this.cut.add(c);
    c.setStatus("refused");
  }
  heal(c: MemoryBus): void {
    this.cut.delete(c);
    c.setStatus("connected");
  }
  nextInbox(prefix = "_INBOX.mem"): string {
    return `${prefix}.${++this.inboxes}`;
  }
  /** Delivers to every matching plain subscriber and one member of each queue group; returns the count. */
  deliver(from: MemoryBus, subject: string, data: Uint8Array, reply?: string): number {
    if (this.cut.has(from)) return 0;
    const groups = new Map<string, Sub[]>();
    const targets: Sub[] = [];
    for (const s of this.subs) {
      if (this.cut.has(s.owner) || !subjectMatches(s.pattern, subject)) continue;
      if (s.queue) groups.set(s.queue, [...(groups.get(s.queue) ?? []), s]);
      else targets.push(s);
    }
    for (const [q, members] of groups) {
      const n = this.rr.get(q) ?? 0;
      this.rr.set(q, n + 1);
      targets.push(members[n % members.length] as Sub);
    }
    for (const t of targets) {
      const copy = new Uint8Array(data);
      queueMicrotask(() => {
        if (!this.subs.has(t) || this.cut.has(t.owner)) return;
        t.handler({
          subject,
          data: copy,
          ...(reply ? { reply } : {}),
          respond: (d) => {
            if (reply) t.owner.publish(reply, d);
          },
        });
      });
    }
    return targets.length;
  }
}

/** One connection to a MemoryBusHub. */
export class MemoryBus implements BusConnection {
  private readonly statusFns = new Set<(s: BusStatus) => void>();
  private readonly refusalFns = new Set<(e: BusPermissionError) => void>();
  private readonly mine = new Set<Sub>();
  private closed = false;
  constructor(
    private readonly hub: MemoryBusHub,
    private readonly o: MemoryBusOptions = {},
  ) {}

  setStatus(s: BusStatus): void {
    for (const f of this.statusFns) f(s);
  }

  /** Whether the permissions allow it; a refusal is recorded and reported a microtask later, like the server's. */
  private allowed(op: "publish" | "subscribe", subject: string): boolean {
    if (!this.o.permissions || permits(this.o.permissions, op, subject)) return true;
    const e = new BusPermissionError(op, subject);
    this.hub.refusals.push(e);
    queueMicrotask(() => {
      for (const f of this.refusalFns) f(e);
    });
    return false;
  }

  readonly publish = (subject: string, data: Uint8Array, reply?: string): void => {
    if (this.closed) throw new Error("bus: connection closed");
    if (this.allowed("publish", subject)) this.hub.deliver(this, subject, data, reply);
  };

  readonly subscribe = (
    subject: string,
    handler: (msg: BusMessage) => void,
    opts: { queue?: string } = {},
  ): (() => void) => {
    if (!this.allowed("subscribe", subject)) return () => undefined;
    const sub: Sub = { pattern: subject, handler, owner: this, ...(opts.queue ? { queue: opts.queue } : {}) };
    this.hub.subs.add(sub);
    this.mine.add(sub);
    return () => {
      this.hub.subs.delete(sub);
      this.mine.delete(sub);
    };
  };

  readonly request = (subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> =>
    new Promise((resolve, reject) => {
      const inbox = this.inbox();
      // As nats.js does: a request the permissions refuse (its subject, or its reply inbox) fails at once.
      for (const [op, subj] of [
        ["subscribe", inbox],
        ["publish", subject],
      ] as const) {
        if (!this.allowed(op, subj)) {
          reject(new BusPermissionError(op, subj));
          return;
        }
      }
      const timer = setTimeout(() => {
        unsub();
        reject(new BusTimeoutError(subject, timeoutMs));
      }, timeoutMs);
      const unsub = this.subscribe(inbox, (m) => {
        clearTimeout(timer);
        unsub();
        resolve(m.data);
      });
      if (this.hub.deliver(this, subject, data, inbox) === 0 && !this.hub.cut.has(this)) {
        clearTimeout(timer);
        unsub();
        reject(new BusNoRespondersError(subject));
      }
    });

  readonly inbox = (): string => this.hub.nextInbox(this.o.inboxPrefix);
  readonly flush = async (): Promise<void> => {
    await Promise.resolve();
  };
  readonly onStatus = (fn: (s: BusStatus) => void): (() => void) => {
    this.statusFns.add(fn);
    return () => this.statusFns.delete(fn);
  };
  readonly onPermissionError = (fn: (e: BusPermissionError) => void): (() => void) => {
    this.refusalFns.add(fn);
    return () => this.refusalFns.delete(fn);
  };
  readonly close = async (): Promise<void> => {
    this.closed = true;
    for (const s of this.mine) this.hub.subs.delete(s);
    this.mine.clear();
    this.setStatus("closed");
    await Promise.resolve();
  };
}

import { BusNoRespondersError, BusTimeoutError } from "./errors.js";

/** A message as a subscriber gets it. `respond` answers a request (no-op when the sender expects no reply). */
export interface BusMessage {
  subject: string;
  data: Uint8Array;
  reply?: string;
  readonly respond: (data: Uint8Array) => void;
}

/** Connection states, for logs and for the agent's "managers unreachable" handling. */
export type BusStatus = "connected" | "disconnected" | "reconnecting" | "closed";

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
  readonly close: () => Promise<void>;
}

/** Whether a NATS subject matches a pattern with `*` (one token) and `>` (the rest). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

interface Sub {
  pattern: string;
  queue?: string;
  handler: (m: BusMessage) => void;
  owner: MemoryBus;
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

  connect(): MemoryBus {
    return new MemoryBus(this);
  }
  partition(c: MemoryBus): void {
    this.cut.add(c);
    c.setStatus("disconnected");
  }
  heal(c: MemoryBus): void {
    this.cut.delete(c);
    c.setStatus("connected");
  }
  nextInbox(): string {
    return `_INBOX.mem.${++this.inboxes}`;
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
  private readonly mine = new Set<Sub>();
  private closed = false;
  constructor(private readonly hub: MemoryBusHub) {}

  setStatus(s: BusStatus): void {
    for (const f of this.statusFns) f(s);
  }

  readonly publish = (subject: string, data: Uint8Array, reply?: string): void => {
    if (this.closed) throw new Error("bus: connection closed");
    this.hub.deliver(this, subject, data, reply);
  };

  readonly subscribe = (
    subject: string,
    handler: (msg: BusMessage) => void,
    opts: { queue?: string } = {},
  ): (() => void) => {
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

  readonly inbox = (): string => this.hub.nextInbox();
  readonly flush = async (): Promise<void> => {
    await Promise.resolve();
  };
  readonly onStatus = (fn: (s: BusStatus) => void): (() => void) => {
    this.statusFns.add(fn);
    return () => this.statusFns.delete(fn);
  };
  readonly close = async (): Promise<void> => {
    this.closed = true;
    for (const s of this.mine) this.hub.subs.delete(s);
    this.mine.clear();
    this.setStatus("closed");
    await Promise.resolve();
  };
}

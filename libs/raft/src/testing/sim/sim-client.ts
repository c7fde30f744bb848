import type { NodeId } from "../../core/types.js";
import {
  HistoryRecorder,
  KV_UNKNOWN,
  type KvInput,
  type KvOutput,
  type PendingCall,
} from "../linearizability/index.js";
import type { Rng } from "../rng.js";
import type { SimCluster } from "./sim-cluster.js";
import type { ClientReply, ClientRequest, SimEvent } from "./sim-events.js";
import type { SimParams } from "./sim-options.js";

/** What the clients need from the simulation. */
export interface ClientEnv {
  readonly params: SimParams;
  readonly cluster: SimCluster;
  now(): number;
  schedule(delay: number, event: SimEvent): void;
  count(what: string): void;
}

interface Op {
  readonly input: KvInput;
  readonly call: PendingCall<KvOutput>;
  readonly deadline: number;
}

interface Client {
  readonly id: number;
  req: number;
  attempt: number;
  op: Op | null;
  /** The node this client believes leads (0: unknown, pick one at random). */
  guess: NodeId;
}

/**
 * A few clients, each with at most one operation outstanding, issuing put/get/cas on a handful of keys to the
 * node they believe leads, following redirects, and retrying elsewhere after a per-attempt timeout (a write is
 * retried with the same request id, so the store applies it once). Every operation is recorded with its call
 * and return times; one that misses its deadline is recorded as indeterminate.
 */
export class ClientPool {
  readonly history = new HistoryRecorder<KvInput, KvOutput>(KV_UNKNOWN);
  private readonly clients: Client[];
  private readonly known = new Map<string, string | null>();
  private issued = 0;
  private stopped = false;

  constructor(
    private readonly env: ClientEnv,
    private readonly rng: Rng,
  ) {
    this.clients = Array.from({ length: env.params.clients }, (_, i) => ({
      id: i + 1,
      req: 0,
      attempt: 0,
      op: null,
      guess: 0,
    }));
  }

  /** Operations issued so far. */
  get count(): number {
    return this.issued;
  }

  /** Whether any operation is still outstanding. */
  get busy(): boolean {
    return this.clients.some((c) => c.op !== null);
  }

  start(): void {
    for (const c of this.clients) this.env.schedule(this.rng.between(0, 50), { kind: "client-next", client: c.id });
  }

  /** No new operations from now on; outstanding ones finish or time out. */
  stop(): void {
    this.stopped = true;
  }

  private client(id: number): Client {
    const c = this.clients[id - 1];
    if (!c) throw new Error(`sim: no client ${id}`);
    return c;
  }

  private latency(): number {
    return this.rng.between(0.2, 2);
  }

  private randomInput(c: Client): KvInput {
    const key = `k${this.rng.int(this.env.params.keys)}`;
    const value = `${c.id}.${c.req}`;
    const x = this.rng.next();
    if (x < 0.4) return { op: "get", key };
    if (x < 0.75) return { op: "put", key, value };
    const expected = this.rng.chance(0.8) ? (this.known.get(key) ?? null) : null;
    return { op: "cas", key, expected, value };
  }

  /** The client is idle: start its next operation. */
  next(id: number): void {
    const c = this.client(id);
    if (this.stopped || c.op || this.issued >= this.env.params.maxOps) return;
    this.issued++;
    c.req++;
    c.attempt = 0;
    const input = this.randomInput(c);
    const now = this.env.now();
    c.op = { input, call: this.history.call(c.id, input, now), deadline: now + this.env.params.opDeadlineMs };
    this.send(c);
  }

  private send(c: Client): void {
    const op = c.op;
    if (!op) return;
    c.attempt++;
    const ids = [...this.env.cluster.nodes.keys()];
    const node = c.guess !== 0 && this.env.cluster.nodes.has(c.guess) ? c.guess : this.rng.pick(ids);
    const request: ClientRequest = { client: c.id, req: c.req, attempt: c.attempt, input: op.input };
    this.env.schedule(this.latency(), { kind: "request", node, request });
    this.env.schedule(this.env.params.attemptTimeoutMs, {
      kind: "client-retry",
      client: c.id,
      req: c.req,
      attempt: c.attempt,
    });
  }

  /** A request reached `node`: serve it there (or refuse it if the node is down). */
  deliver(node: NodeId, request: ClientRequest): void {
    const n = this.env.cluster.nodes.get(node);
    const respond = (reply: ClientReply): void =>
      this.env.schedule(this.latency(), { kind: "reply", node, request, reply });
    if (!n?.alive) respond({ kind: "retry", why: "connection refused" });
    else n.serve(request, respond);
  }

  /** A reply came back. Replies to an earlier attempt of the current operation count too. */
  reply(request: ClientRequest, reply: ClientReply): void {
    const c = this.client(request.client);
    const op = c.op;
    if (!op || request.req !== c.req) return;
    switch (reply.kind) {
      case "ok": {
        op.call.ok(reply.output, this.env.now());
        this.env.count(`op-${op.input.op}-ok`);
        if ("value" in reply.output) this.known.set(op.input.key, reply.output.value);
        else if (op.input.op !== "get" && (!("ok" in reply.output) || reply.output.ok))
          this.known.set(op.input.key, op.input.value);
        this.finish(c);
        return;
      }
      case "not-leader":
        c.guess = reply.hint;
        this.env.schedule(reply.hint ? 0.5 : 10, {
          kind: "client-retry",
          client: c.id,
          req: c.req,
          attempt: c.attempt,
        });
        return;
      case "retry":
        c.guess = 0;
        this.env.schedule(10, { kind: "client-retry", client: c.id, req: c.req, attempt: c.attempt });
        return;
    }
  }

  /** Attempt `attempt` timed out or was refused: try again, unless the operation is past its deadline. */
  retry(id: number, req: number, attempt: number): void {
    const c = this.client(id);
    if (!c.op || req !== c.req || attempt !== c.attempt) return;
    if (this.env.now() >= c.op.deadline) {
      c.op.call.unknown();
      this.env.count(`op-${c.op.input.op}-unknown`);
      this.finish(c);
      return;
    }
    if (this.rng.chance(0.5)) c.guess = 0;
    this.send(c);
  }

  private finish(c: Client): void {
    c.op = null;
    this.env.schedule(this.rng.between(0, 20), { kind: "client-next", client: c.id });
  }
}

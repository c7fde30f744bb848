import {
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  ConfChangeType,
  MessageType,
} from "../../core/types.js";
import { type CheckResult, checkOperations, kvModel } from "../linearizability/index.js";
import { EventQueue } from "./event-queue.js";
import { FaultPlan } from "./fault-plan.js";
import { InvariantChecker } from "./invariants.js";
import { Rng } from "../rng.js";
import { ClientPool } from "./sim-client.js";
import { SimCluster } from "./sim-cluster.js";
import type { SimEvent } from "./sim-events.js";
import { InvariantViolation, SimFailure } from "./sim-failure.js";
import { SimNetwork } from "./sim-network.js";
import type { SimNode } from "./sim-node.js";
import { type SimOptions, type SimParams, resolveParams } from "./sim-options.js";
import { TraceRing } from "./trace.js";

/** Figures of one run. */
export interface SimStats {
  readonly seed: number;
  readonly nodes: number;
  readonly events: number;
  readonly virtualMs: number;
  readonly ops: number;
  readonly elections: number;
  /** The linearizability verdict ("skipped" when the run failed before the check). */
  readonly linearizable: CheckResult["result"] | "skipped";
  /** How often each kind of fault, outcome and recovery happened. */
  readonly counters: Readonly<Record<string, number>>;
}

/** The result of {@link runSimulation}: a failure names the seed, the event, the property and the trace. */
export type SimOutcome =
  | { readonly ok: true; readonly stats: SimStats }
  | { readonly ok: false; readonly failure: SimFailure; readonly stats: SimStats };

/**
 * One seeded run: a cluster under random faults and client load, every safety property checked after every
 * event, then healed and left to converge, and the client history checked for linearizability. The same seed
 * and options always give the same run.
 */
export class Simulation {
  readonly params: SimParams;
  readonly queue = new EventQueue<SimEvent>();
  readonly checker: InvariantChecker;
  readonly cluster: SimCluster;
  readonly network: SimNetwork;
  readonly clients: ClientPool;
  private readonly faults: FaultPlan;
  private readonly trace: TraceRing;
  private readonly counters = new Map<string, number>();
  private events = 0;
  private done = false;
  private verdict: CheckResult["result"] | "skipped" = "skipped";
  /** The options that differ from a plain `{ seed }` run, for the replay hint. */
  private readonly extraOptions: Readonly<Record<string, unknown>>;

  constructor(options: SimOptions) {
    const { seed: _seed, ...extra } = options;
    this.extraOptions = extra;
    const rng = new Rng(options.seed);
    this.params = resolveParams(options, rng.fork());
    this.trace = new TraceRing(this.params.traceSize);
    this.checker = new InvariantChecker(new Set(options.skipChecks ?? []));
    this.cluster = new SimCluster(this, rng.fork());
    this.network = new SimNetwork(this.params, rng.fork(), this);
    this.clients = new ClientPool(this, rng.fork());
    this.faults = new FaultPlan(this, rng.fork());
  }

  // ---- environment of the parts ----

  now(): number {
    return this.queue.now;
  }

  schedule(delay: number, event: SimEvent): void {
    this.queue.after(delay, event);
  }

  onSend(m: Message): void {
    this.checker.onSend(m);
  }

  send(m: Message, fromInc: number): void {
    if (m.type === MessageType.VoteResp && !m.reject) this.faults.onVoteGranted(m.from, fromInc);
    this.network.send(m, fromInc);
  }

  onApply(node: SimNode, e: Entry): void {
    this.checker.onApply(node, e);
  }

  onConfChange(_node: SimNode, cc: ConfChange): void {
    if (cc.type === ConfChangeType.RemoveNode) this.faults.onRemoved(cc.nodeId);
    if (this.cluster.leader() === _node) this.count(`applied-${ConfChangeType[cc.type]}`);
  }

  onSnapshot(node: SimNode, index: number, data: Uint8Array): void {
    this.checker.onSnapshot(node, index, data);
  }

  onDurable(node: SimNode): void {
    this.checker.onDurable(node);
  }

  note(text: string): void {
    this.trace.note(text);
  }

  count(what: string): void {
    this.counters.set(what, (this.counters.get(what) ?? 0) + 1);
  }

  // ---- the run ----

  run(): SimOutcome {
    try {
      this.cluster.bootstrap(this.params.nodes);
      this.checker.bootstrapped(this.params.nodes);
      this.clients.start();
      this.faults.scheduleNext();
      this.schedule(this.params.activeMs, { kind: "end-faults" });
      this.loop();
      this.checkHistory();
      return { ok: true, stats: this.stats() };
    } catch (e) {
      const v = e instanceof InvariantViolation ? e : null;
      const detail = v ? v.detail : e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
      const invariant = v?.invariant ?? "core-error";
      const failure = new SimFailure(this.params.seed, this.events, this.now(), invariant, detail, this.trace.lines(), {
        cause: e,
        runOptions: this.extraOptions,
      });
      return { ok: false, failure, stats: this.stats() };
    }
  }

  private stats(): SimStats {
    return {
      seed: this.params.seed,
      nodes: this.params.nodes,
      events: this.events,
      virtualMs: this.now(),
      ops: this.clients.count,
      elections: this.checker.elections,
      linearizable: this.verdict,
      counters: Object.fromEntries([...this.counters].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    };
  }

  private loop(): void {
    const deadline = this.params.activeMs + this.params.settleMs;
    while (!this.done) {
      const s = this.queue.pop();
      if (!s) throw new InvariantViolation("convergence", "nothing left to happen");
      this.events++;
      this.trace.record(this.events, s.time, s.event);
      if (s.time > deadline) {
        const why = this.cluster.convergenceProblem() ?? "clients still busy";
        throw new InvariantViolation("convergence", `not converged ${this.params.settleMs}ms after healing: ${why}`);
      }
      this.dispatch(s.event);
      for (const n of this.cluster.nodes.values()) n.pump();
      this.checker.checkAll(this.cluster.nodes);
    }
  }

  private nodeFor(id: NodeId, inc: number): SimNode | undefined {
    const n = this.cluster.nodes.get(id);
    return n?.alive && n.inc === inc ? n : undefined;
  }

  private dispatch(e: SimEvent): void {
    switch (e.kind) {
      case "tick":
        this.nodeFor(e.node, e.inc)?.tick();
        return;
      case "write-done":
        this.nodeFor(e.node, e.inc)?.completeWrite();
        return;
      case "deliver": {
        const to = this.cluster.nodes.get(e.msg.to);
        if (!to?.alive || this.network.blocked(e.msg.from, e.msg.to)) this.network.lost(e.msg, e.inc);
        else {
          to.step(e.msg);
          this.network.delivered(e.msg, e.inc);
        }
        return;
      }
      case "report":
        this.nodeFor(e.node, e.inc)?.report(e.peer, e.what);
        return;
      case "request":
        this.clients.deliver(e.node, e.request);
        return;
      case "reply":
        this.clients.reply(e.request, e.reply);
        return;
      case "client-retry":
        this.clients.retry(e.client, e.req, e.attempt);
        return;
      case "client-next":
        this.clients.next(e.client);
        return;
      case "fault":
        this.faults.fire();
        return;
      case "crash":
        this.faults.crash(e.node, e.inc, e.downMs);
        return;
      case "restart":
        this.restart(e.node);
        return;
      case "heal":
        this.network.heal(e.cut);
        return;
      case "shutdown": {
        const n = this.cluster.nodes.get(e.node);
        if (!n || n.retired) return;
        if (n.alive) this.note(`shut down node ${n.id}: ${n.crash()}`);
        n.retired = true;
        return;
      }
      case "end-faults":
        this.network.healAll();
        this.clients.stop();
        for (const n of this.cluster.nodes.values()) this.restart(n.id);
        this.schedule(0, { kind: "settle-check" });
        return;
      case "settle-check":
        if (this.cluster.convergenceProblem() === null && !this.clients.busy) this.done = true;
        else this.schedule(20, { kind: "settle-check" });
        return;
    }
  }

  private restart(id: NodeId): void {
    const n = this.cluster.nodes.get(id);
    if (!n || n.alive || n.retired) return;
    n.start();
    this.note(`restart node ${id} (incarnation ${n.inc})`);
  }

  private checkHistory(): void {
    const ops = this.clients.history.operations();
    const res = checkOperations(kvModel, ops, { timeoutMs: this.params.checkTimeoutMs });
    this.verdict = res.result;
    if (res.result === "illegal")
      throw new InvariantViolation("linearizability", res.info ?? "history is not linearizable");
  }
}

/** Runs one seed. */
export function runSimulation(options: SimOptions): SimOutcome {
  return new Simulation(options).run();
}

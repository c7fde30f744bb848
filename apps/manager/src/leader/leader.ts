import { updateOf, type Command, type StoreEvent } from "@shoal/store";
import { allocate } from "../allocator/allocate.js";
import { orchestrate } from "../orchestrator/tick.js";
import { schedule } from "../scheduler/tick.js";
import { reap } from "../reaper/reaper.js";
import { checkHeartbeats } from "../node-monitor/node-monitor.js";
import { newId } from "../ids.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { ControlLoop, type LoopLog, type LoopOptions } from "./loop.js";

/** A task was created or deleted, or its state or desired state changed (not a mere message or node move). */
function taskMoved(e: StoreEvent): boolean {
  if (e.kind !== "task") return false;
  return e.op !== "update" || e.object.status.state !== e.previous?.status.state || e.object.desiredState !== e.previous.desiredState;
}

/** A task's network addresses changed (the allocator gave them, or took them back). */
function addressed(e: StoreEvent): boolean {
  return e.kind === "task" && e.op === "update" && JSON.stringify(e.object.networks) !== JSON.stringify(e.previous?.networks);
}

/** The last heartbeat of each node this manager heard (epoch ms); kept by the dispatcher. */
export type HeartbeatBook = ReadonlyMap<string, number>;

export interface LeaderLoopsOptions {
  store: ClusterStore;
  heartbeats: HeartbeatBook;
  log: LoopLog;
  /** Heartbeats a node may miss before it is marked down; default 3. */
  missedHeartbeats?: number;
  clock?: () => number;
}

/**
 * The leader's control loops: orchestrator, network allocator, scheduler, node monitor and task reaper. Started when this
 * manager becomes leader, stopped the moment it is not.
 */
export class LeaderLoops {
  readonly loops: ControlLoop[];

  constructor(o: LeaderLoopsOptions) {
    const clock = o.clock ?? Date.now;
    const since = clock();
    const state = () => o.store.state;
    const cluster = () => state().cluster();
    const period = () => cluster()?.spec.heartbeatPeriodMs ?? 1_000;
    const loop = (name: string, rest: Omit<LoopOptions, "name" | "store" | "log" | "clock">) => new ControlLoop({ name, store: o.store, log: o.log, clock, ...rest });
    this.loops = [
      loop("orchestrator", {
        wants: (e) => e.kind !== "task" || taskMoved(e),
        pass: (now) => orchestrate(state(), now, () => newId(now)),
      }),
      loop("allocator", {
        // Networks and services as they come and change; tasks when they are made or end (addresses free up).
        wants: (e) => e.kind === "network" || e.kind === "service" || e.kind === "cluster" || (e.kind === "task" && (e.op === "create" || taskMoved(e))),
        pass: () => ({ commands: allocate(state()) }),
      }),
      loop("scheduler", {
        // Also when the allocator gave a task its addresses: that is what it waited for.
        wants: (e) => e.kind === "node" || e.kind === "service" || taskMoved(e) || addressed(e),
        pass: (now) => ({ commands: schedule(state(), now) }),
      }),
      loop("node-monitor", {
        wants: () => false,
        intervalMs: Math.max(50, Math.floor(period() / 2)),
        pass: (now) => {
          const d = checkHeartbeats(state().list("node"), o.heartbeats, now, { periodMs: period(), missed: o.missedHeartbeats ?? 3, leaderSince: since });
          const commands: Command[] = [];
          for (const down of d.down) {
            const n = state().get("node", down.nodeId);
            if (!n) continue;
            o.log.warn("node down", { node: n.id, hostname: n.description.hostname, reason: down.message });
            commands.push(updateOf("node", n, { status: { ...n.status, state: "down", message: down.message } }));
          }
          return { commands };
        },
      }),
      loop("reaper", {
        // A task becomes reapable when it ends or when it is told to stop (its replacement was made).
        wants: (e) => e.op === "update" && taskMoved(e),
        pass: () => ({ commands: reap(state(), cluster()?.spec.taskHistoryRetentionLimit ?? 5) }),
      }),
    ];
  }

  /** Resolves once every loop is idle (tests). */
  async idle(): Promise<void> {
    for (let i = 0; i < 3; i++) await Promise.all(this.loops.map((l) => l.idle()));
  }

  stop(): void {
    for (const l of this.loops) l.stop();
  }
}

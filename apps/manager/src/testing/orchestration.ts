// Steps of the orchestrator, scheduler and a well-behaved agent in turn, and slot invariants, for the orchestrator's tests.
import assert from "node:assert/strict";
import { isTerminal, type Task } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import type { ClusterStore } from "../store/cluster-store.js";
import { schedule } from "../scheduler/tick.js";
import { liveTasks, setTaskStates, T0 } from "./fixtures.js";
import { orchestrate, type OrchestratorPass } from "../orchestrator/tick.js";

let ids = 0;
/** Ids for the tasks a pass makes: o1, o2, ... */
export const newId = () => `o${++ids}`;

/** One orchestrator pass at `now`, committed. */
export async function pass(store: ClusterStore, now = T0): Promise<OrchestratorPass> {
  const p = orchestrate(store.state, now, newId);
  await store.write(p.commands);
  return p;
}

/** What a well-behaved agent does with its tasks: runs the assigned ones, stops the ones told to stop. */
export async function agentStep(store: ClusterStore): Promise<number> {
  const tasks = store.state.list("task").filter((t) => t.nodeId && !isTerminal(t.status.state));
  const run = tasks.filter((t) => t.desiredState === "running" && t.status.state !== "running").map((t) => t.id);
  const stop = tasks.filter((t) => t.desiredState !== "running").map((t) => t.id);
  if (run.length) await setTaskStates(store, run, "running");
  if (stop.length) await setTaskStates(store, stop, "shutdown");
  return run.length + stop.length;
}

/** Orchestrator, scheduler and agent in turn until nothing changes; checks the slot invariant after every step. */
export async function converge(
  store: ClusterStore,
  serviceId: string,
  onPass: (p: OrchestratorPass) => void = () => {},
): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const p = await pass(store);
    onPass(p);
    assertOneLivePerSlot(store.state, serviceId);
    const scheduled = schedule(store.state, T0);
    await store.write(scheduled);
    const acted = await agentStep(store);
    assertOneLivePerSlot(store.state, serviceId);
    if (p.commands.length === 0 && scheduled.length === 0 && acted === 0) return;
  }
  assert.fail("the cluster did not settle in 50 rounds");
}

/** A slot never has two live tasks. */
export function assertOneLivePerSlot(state: StoreState, serviceId: string): void {
  const seen = new Set<number>();
  for (const t of liveTasks(state, serviceId)) {
    assert.ok(t.slot !== undefined && !seen.has(t.slot), `two live tasks in slot ${t.slot}`);
    seen.add(t.slot);
  }
}

/** Stop-first: a slot never has two tasks that have not ended, even while the old one is stopping. */
export function assertOneUnendedPerSlot(state: StoreState, serviceId: string): void {
  const seen = new Set<number>();
  for (const t of state.tasksOfService(serviceId)) {
    if (isTerminal(t.status.state)) continue;
    assert.ok(
      t.slot !== undefined && !seen.has(t.slot),
      `slot ${t.slot} has a replacement while its old task has not stopped`,
    );
    seen.add(t.slot);
  }
}

/** Tasks sorted by slot. */
export const bySlot = (tasks: readonly Task[]) => [...tasks].sort((a, b) => (a.slot ?? 0) - (b.slot ?? 0));
/** A replicated mode of `n` replicas. */
export const replicas = (n: number) => ({ mode: { mode: "replicated" as const, replicas: n } });
/** A running status at T0. */
export const running = { state: "running" as const, timestamp: new Date(T0).toISOString(), message: "" };

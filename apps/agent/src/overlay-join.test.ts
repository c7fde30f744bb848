import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task } from "@shoal/api";
import { EMPTY_NETWORK_VIEW, type NetworkView } from "@shoal/bus";
import type { OverlayPlan } from "@shoal/overlay";
import { ManualClock } from "@shoal/runtime/testing";
import { OverlayJoinError } from "./errors.js";
import { joinOverlay } from "./overlay-join.js";

const task = (id: string, networks: [string, string[]][]): Task =>
  ({ id, networks: networks.map(([networkId, addresses]) => ({ networkId, addresses })) }) as Task;
const withNetwork = (id: string): NetworkView => ({
  ...EMPTY_NETWORK_VIEW,
  networks: [{ id, name: id, vni: 4096, subnet: "10.10.1.0/24", gateway: "10.10.1.1", ingress: false }],
});

/** A join's surroundings: a view the test changes, a manual clock, and a sync that reports `missing` netns. */
function setup(o: { view?: NetworkView; missing?: string[]; netns?: string } = {}) {
  const clock = new ManualClock();
  let view = o.view ?? EMPTY_NETWORK_VIEW;
  const waiters: (() => void)[] = [];
  let stopping = false;
  const syncs: number[] = [];
  const opts = {
    clock,
    view: () => view,
    onViewChange: (wake: () => void) => waiters.push(wake),
    stopping: () => stopping,
    sync: (): Promise<OverlayPlan> => {
      syncs.push(clock.now());
      return Promise.resolve({ steps: [], missingTasks: o.missing ?? [] });
    },
    netnsOf: (id: string) => (o.netns === undefined ? `ns-${id}` : o.netns || undefined),
  };
  return {
    clock,
    opts,
    syncs,
    setView(v: NetworkView) {
      view = v;
      for (const wake of waiters.splice(0)) wake();
    },
    stop() {
      stopping = true;
    },
  };
}

test("overlay join: a task with no overlay address joins at once, without a reconcile", async () => {
  const s = setup();
  await joinOverlay(task("t1", [["front", []]]), s.opts);
  assert.deepEqual(s.syncs, []);
});

test("overlay join: waits for the view to hold the task's networks, then reconciles", async () => {
  const s = setup();
  let joined = false;
  const join = joinOverlay(task("t1", [["front", ["10.10.1.3/24"]]]), s.opts).then(() => (joined = true));
  await s.clock.advance(5_000);
  assert.equal(joined, false, "still waiting for the view");
  assert.deepEqual(s.syncs, []);
  s.setView(withNetwork("front"));
  await join;
  assert.deepEqual(s.syncs, [s.clock.now()], "one reconcile, as soon as the view came");
  assert.equal(s.clock.pendingTimers, 0, "the recheck timer was cancelled");
});

test("overlay join: gives up after a minute when the managers never describe the network", async () => {
  const s = setup();
  let settled = false;
  const join = joinOverlay(task("t1", [["front", ["10.10.1.3/24"]]]), s.opts)
    .then(
      () => undefined,
      (e: unknown) => e,
    )
    .finally(() => (settled = true));
  await s.clock.advance(60_000);
  assert.equal(settled, false, "not before the minute is over");
  await s.clock.advance(1_000);
  const failure = await join;
  assert.ok(failure instanceof OverlayJoinError);
  assert.match(failure.message, /have not described network front/);
  assert.deepEqual(s.syncs, []);
});

test("overlay join: a stopping agent gives up at the next look", async () => {
  const s = setup();
  const join = joinOverlay(task("t1", [["front", ["10.10.1.3/24"]]]), s.opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  s.stop();
  await s.clock.advance(1_000);
  const failure = await join;
  assert.ok(failure instanceof OverlayJoinError);
});

test("overlay join: a netns that vanished before the reconcile fails the join", async () => {
  const missing = setup({ view: withNetwork("front"), missing: ["ns-t1"] });
  await assert.rejects(
    joinOverlay(task("t1", [["front", ["10.10.1.3/24"]]]), missing.opts),
    (e: unknown) => e instanceof OverlayJoinError && /ns-t1 vanished/.test(e.message),
  );
  const detached = setup({ view: withNetwork("front"), netns: "" });
  await assert.rejects(
    joinOverlay(task("t1", [["front", ["10.10.1.3/24"]]]), detached.opts),
    (e: unknown) => e instanceof OverlayJoinError && /\(none\) vanished/.test(e.message),
  );
});

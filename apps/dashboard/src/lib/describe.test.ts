import assert from "node:assert/strict";
import { test } from "node:test";
import { describeChange, type Change } from "./describe.js";
import { EMPTY_MODEL } from "./model.js";
import { node, service, task } from "./testing.js";

const say = (c: Change) =>
  describeChange(
    c,
    {
      ...EMPTY_MODEL,
      services: new Map([["s1", service("s1", { name: "web" })]]),
      nodes: new Map([["n1", node("n1", { hostname: "alpha" })]]),
    },
    0,
  );

test("service changes: created, scaled, new image, update state, removed", () => {
  assert.equal(
    say({ kind: "service", index: 1, after: service("s1", { name: "web", replicas: 3 }) })?.text,
    "service web created: busybox:latest, 3 replicas",
  );
  assert.equal(
    say({
      kind: "service",
      index: 2,
      before: service("s1", { name: "web", replicas: 3 }),
      after: service("s1", { name: "web", replicas: 5, version: 2 }),
    })?.text,
    "service web scaled 3 → 5",
  );
  assert.equal(
    say({
      kind: "service",
      index: 2,
      before: service("s1", { name: "web" }),
      after: service("s1", { name: "web", image: "nginx:1", version: 2 }),
    })?.text,
    "service web: image busybox:latest → nginx:1",
  );
  const paused = say({
    kind: "service",
    index: 3,
    before: service("s1", { name: "web", updateState: "updating" }),
    after: service("s1", { name: "web", updateState: "paused", version: 3 }),
  });
  assert.deepEqual([paused?.tone, paused?.text], ["bad", "service web: update paused"]);
  assert.equal(say({ kind: "service", index: 4, before: service("s1", { name: "web" }) })?.text, "service web removed");
});

test("tasks: only the states an operator cares about, with the scheduler's reason for pending ones", () => {
  const starting = task("t1", "s1", { slot: 1, nodeId: "n1", state: "starting" });
  assert.equal(say({ kind: "task", index: 1, after: starting }), undefined);
  assert.equal(
    say({ kind: "task", index: 2, before: starting, after: task("t1", "s1", { slot: 1, nodeId: "n1" }) })?.text,
    "task web.1 running on alpha",
  );
  assert.equal(
    say({
      kind: "task",
      index: 3,
      before: task("t1", "s1", { slot: 1 }),
      after: task("t1", "s1", { slot: 1, version: 2 }),
    }),
    undefined,
    "no state change, no line",
  );
  const pending = say({
    kind: "task",
    index: 4,
    after: task("t2", "s1", { slot: 2, state: "pending", message: "no suitable node (1 node: drained)" }),
  });
  assert.deepEqual([pending?.tone, pending?.text], ["warn", "task web.2 pending: no suitable node (1 node: drained)"]);
});

test("nodes: state and availability", () => {
  const n = node("n1", { hostname: "alpha" });
  assert.equal(say({ kind: "node", index: 1, after: n })?.text, "node alpha joined as worker");
  assert.equal(
    say({ kind: "node", index: 2, before: n, after: node("n1", { hostname: "alpha", availability: "drain" }) })?.text,
    "node alpha availability drain",
  );
  assert.equal(
    say({ kind: "node", index: 2, before: node("n1", { hostname: "alpha", state: "down" }), after: n })?.tone,
    "good",
  );
});

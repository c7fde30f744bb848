import assert from "node:assert/strict";
import { test } from "node:test";
import { T0, makeTask } from "../testing/objects.js";
import { currentState, explainPending, psOrder, psTable } from "./tasks.js";

const unschedulable = [
  { nodeId: "n1", hostname: "node1", reason: "node availability is drain" },
  { nodeId: "n2", hostname: "node2", reason: "node availability is drain" },
  { nodeId: "n3", hostname: "node3", reason: "needs 512 MiB memory reserved, 128 MiB free" },
];

test("a pending task's reason groups the scheduler's per-node reasons", () => {
  const t = makeTask({ id: "t1", slot: 1, state: "pending", message: "no suitable node", unschedulable });
  assert.equal(
    explainPending(t),
    "no suitable node: node availability is drain (node1, node2); needs 512 MiB memory reserved, 128 MiB free (node3)",
  );
  assert.equal(
    explainPending(makeTask({ id: "t2", slot: 1, state: "pending", message: "waiting for the scheduler" })),
    "waiting for the scheduler",
  );
  assert.equal(explainPending(makeTask({ id: "t3", slot: 1, state: "pending" })), undefined);
  const many = Array.from({ length: 5 }, (_, i) => ({ nodeId: `n${i}`, hostname: `h${i}`, reason: "drain" }));
  assert.equal(
    explainPending(makeTask({ id: "t4", slot: 1, state: "pending", unschedulable: many })),
    "no suitable node: drain (h0, h1, h2 and 2 more)",
  );
});

test("CURRENT STATE reads like docker's", () => {
  assert.equal(
    currentState(makeTask({ id: "t", slot: 1, state: "running", stateMs: T0 }), T0 + 5_000),
    "Running 5 seconds ago",
  );
  assert.equal(
    currentState(makeTask({ id: "t", slot: 1, state: "pending", stateMs: T0 }), T0 + 90_000),
    "Pending 2 minutes ago",
  );
});

test("ps lists slot by slot, newest first, with history under the current task", () => {
  const tasks = [
    makeTask({ id: "old1", slot: 1, state: "failed", desired: "shutdown", createdMs: T0, err: "exit 1" }),
    makeTask({ id: "b2", slot: 2, state: "running", createdMs: T0 + 1 }),
    makeTask({ id: "new1", slot: 1, state: "running", createdMs: T0 + 2 }),
  ];
  assert.deepEqual(
    psOrder(tasks).map((r) => [r.task.id, r.history]),
    [
      ["new1", false],
      ["old1", true],
      ["b2", false],
    ],
  );
});

test("the ps table shows names, nodes, states, errors and pending reasons", () => {
  const tasks = [
    makeTask({
      id: "aaaaaaaaaaaaaaaa1",
      slot: 1,
      nodeId: "n1",
      state: "running",
      createdMs: T0 + 2,
      stateMs: T0 + 2_000,
    }),
    makeTask({
      id: "bbbbbbbbbbbbbbbb2",
      slot: 1,
      nodeId: "n1",
      state: "failed",
      desired: "shutdown",
      createdMs: T0,
      stateMs: T0,
      err: "task: non-zero exit (1)",
    }),
    makeTask({
      id: "cccccccccccccccc3",
      slot: 2,
      state: "pending",
      createdMs: T0,
      stateMs: T0,
      message: "no suitable node",
      unschedulable,
    }),
  ];
  const ctx = {
    serviceNames: new Map([["svc1", "web"]]),
    nodeNames: new Map([["n1", "node1"]]),
    now: T0 + 10_000,
    noTrunc: false,
  };
  const out = psTable(tasks, ctx);
  const lines = out.split("\n");
  assert.match(lines[0] ?? "", /^ID\s+NAME\s+IMAGE\s+NODE\s+DESIRED STATE\s+CURRENT STATE\s+ERROR\s+PORTS$/);
  assert.match(lines[1] ?? "", /^aaaaaaaaaaaa\s+web\.1\s+busybox:1\.36\s+node1\s+Running\s+Running 8 seconds ago$/);
  assert.match(
    lines[2] ?? "",
    /^bbbbbbbbbbbb\s+ \\_ web\.1\s+busybox:1\.36\s+node1\s+Shutdown\s+Failed 10 seconds ago\s+"task: non-zero exit \(1\)"$/,
  );
  assert.match(
    lines[3] ?? "",
    /^cccccccccccc\s+web\.2\s+busybox:1\.36\s+Running\s+Pending 10 seconds ago\s+"no suitable node: node availability is…$/,
  );
  assert.ok(
    out.includes(
      "web.2: no suitable node: node availability is drain (node1, node2); needs 512 MiB memory reserved, 128 MiB free (node3)\n",
    ),
    out,
  );

  const full = psTable(tasks, { ...ctx, noTrunc: true });
  assert.ok(full.includes("aaaaaaaaaaaaaaaa1"));
  assert.ok(
    full.includes(
      '"no suitable node: node availability is drain (node1, node2); needs 512 MiB memory reserved, 128 MiB free (node3)"',
    ),
  );
  assert.ok(!full.includes("web.2: no suitable"), "no note when the column holds it all");
});

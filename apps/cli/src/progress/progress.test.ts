import assert from "node:assert/strict";
import { test } from "node:test";
import { T0, makeService, makeTask } from "../testing/objects.js";
import { progressBar, progressView } from "./progress.js";
import { ProgressRenderer } from "./renderer.js";

test("the bar fills from new to running", () => {
  assert.equal(progressBar("running"), `[${"=".repeat(49)}>]`);
  assert.equal(progressBar("new"), `[${"=".repeat(5)}>${" ".repeat(44)}]`);
  assert.equal(progressBar("failed"), `[${" ".repeat(50)}]`);
});

test("replicated progress: one line per slot with its newest task, pending reasons and errors", () => {
  const service = makeService({ replicas: 3 });
  const tasks = [
    makeTask({ id: "a", slot: 1, state: "running" }),
    makeTask({ id: "b0", slot: 2, state: "failed", desired: "shutdown", createdMs: T0, err: "old failure" }),
    makeTask({ id: "b1", slot: 2, state: "starting", createdMs: T0 + 1 }),
    makeTask({
      id: "c",
      slot: 3,
      state: "pending",
      message: "no suitable node",
      unschedulable: [{ nodeId: "n1", hostname: "node1", reason: "node is down" }],
    }),
  ];
  const v = progressView(service, tasks);
  assert.equal(v.overall, "overall progress: 1 out of 3 tasks");
  assert.equal(v.converged, false);
  assert.match(v.lines[0] ?? "", /^1\/3: running {3}\[=+>\]$/);
  assert.match(v.lines[1] ?? "", /^2\/3: starting {2}\[=+> +\]$/);
  assert.match(v.lines[2] ?? "", /^3\/3: pending {3}\[=+> +\] no suitable node: node is down \(node1\)$/);
  const failing = progressView(service, [makeTask({ id: "x", slot: 1, state: "failed", err: "image not found" })]);
  assert.match(failing.lines[0] ?? "", /^1\/3: failed .* image not found$/);
  assert.match(failing.lines[1] ?? "", /^2\/3: new /);
});

test("converged when every slot runs and nothing else does", () => {
  const service = makeService({ replicas: 2 });
  const running = [makeTask({ id: "a", slot: 1, state: "running" }), makeTask({ id: "b", slot: 2, state: "running" })];
  assert.equal(progressView(service, running).converged, true);
  const extra = [...running, makeTask({ id: "c", slot: 3, state: "running", desired: "shutdown" })];
  assert.equal(progressView(service, extra).converged, false, "a task being scaled away still runs");
  assert.equal(progressView(makeService({ replicas: 0 }), []).converged, true);
  const otherService = [...running, makeTask({ id: "z", slot: 3, state: "running", serviceId: "other" })];
  assert.equal(progressView(service, otherService).converged, true);
});

test("global progress: one line per node, converged when each runs", () => {
  const service = makeService({ global: true });
  const names = new Map([["n1", "node1"]]);
  const v = progressView(
    service,
    [makeTask({ id: "a", nodeId: "n1", state: "running" }), makeTask({ id: "b", nodeId: "n2", state: "preparing" })],
    names,
  );
  assert.deepEqual(
    v.lines.map((l) => l.split(":")[0]),
    ["node1", "n2"],
  );
  assert.equal(v.converged, false);
  assert.equal(progressView(service, [makeTask({ id: "a", nodeId: "n1", state: "running" })], names).converged, true);
  assert.equal(progressView(service, []).converged, false, "no node yet has the task");
});

test("an update in progress is not converged and a paused one is stuck", () => {
  const running = [makeTask({ id: "a", slot: 1, state: "running" })];
  const s = makeService({ replicas: 1 });
  assert.equal(progressView({ ...s, updateStatus: { state: "updating", message: "" } }, running).converged, false);
  const paused = progressView({ ...s, updateStatus: { state: "paused", message: "task a failed" } }, running);
  assert.equal(paused.stuck, "update paused: task a failed");
});

test("the renderer redraws in place on a terminal and prints only changes otherwise", () => {
  const v1 = {
    overall: "overall progress: 0 out of 1 tasks",
    lines: ["1/1: pending"],
    converged: false,
    running: 0,
    desired: 1,
  };
  const v2 = { ...v1, overall: "overall progress: 1 out of 1 tasks", lines: ["1/1: running"] };
  const tty = new ProgressRenderer(true);
  assert.equal(tty.render(v1), "overall progress: 0 out of 1 tasks\n1/1: pending\n");
  assert.equal(tty.render(v2), "\x1b[2A\x1b[Joverall progress: 1 out of 1 tasks\n1/1: running\n");
  const plain = new ProgressRenderer(false);
  assert.equal(plain.render(v1), "overall progress: 0 out of 1 tasks\n1/1: pending\n");
  assert.equal(plain.render(v1), "");
  assert.equal(plain.render({ ...v1, lines: ["1/1: running"] }), "1/1: running\n");
});

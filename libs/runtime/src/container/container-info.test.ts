import assert from "node:assert/strict";
import { test } from "node:test";
import type { HealthState } from "../types.js";
import { containerInfo } from "./container-info.js";
import type { ContainerRecord } from "./record.js";
import { testRecord } from "./test-records.js";

const running: ContainerRecord = testRecord("web", {
  spec: { id: "web", image: "busybox", labels: { app: "web" } },
  args: ["httpd"],
  status: "running",
  startedAt: "t1",
  initPid: 42,
});

test("a running container shows its pid and health; the info is a copy", () => {
  const health: HealthState = { status: "starting", failingStreak: 0, log: [] };
  const info = containerInfo(running, health);
  assert.equal(info.pid, 42);
  assert.equal(info.startedAt, "t1");
  assert.equal(info.oomKilled, false);
  assert.deepEqual(info.health, health);
  info.labels.app = "changed";
  info.args.push("x");
  info.health.status = "healthy";
  assert.equal(running.spec.labels?.app, "web");
  assert.deepEqual(running.args, ["httpd"]);
  assert.equal(health.status, "starting");
});

test("a stopped container shows how it ended and no pid", () => {
  const info = containerInfo(
    { ...running, status: "stopped", exit: { exitCode: 137, oomKilled: true, finishedAt: "t2", error: "boom" } },
    undefined,
  );
  assert.equal(info.pid, undefined);
  assert.equal(info.exitCode, 137);
  assert.equal(info.finishedAt, "t2");
  assert.equal(info.oomKilled, true);
  assert.equal(info.error, "boom");
  assert.equal("health" in info, false);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task, TaskState } from "@shoal/api";
import { exitStatus, reconcile, type Action, type LocalContainer, type LocalView } from "./reconcile.js";
import { makeTask } from "./testing/tasks.js";

const running: LocalContainer = { status: "running", oomKilled: false };
const created: LocalContainer = { status: "created", oomKilled: false };
const exited = (exitCode: number, more: Partial<LocalContainer> = {}): LocalContainer => ({
  status: "stopped",
  oomKilled: false,
  exitCode,
  ...more,
});

interface Case {
  name: string;
  tasks: Task[];
  containers?: Record<string, LocalContainer>;
  attached?: string[];
  reported?: Record<string, TaskState>;
  busy?: string[];
  mayRemoveUnassigned?: boolean;
  /** Each action as `type:task[:state]`. */
  want: string[];
}

const summary = (a: Action): string => {
  switch (a.type) {
    case "run":
      return `run:${a.task.id}:${a.create ? "create" : "start"}`;
    case "report":
      return `report:${a.taskId}:${a.status.state}`;
    case "stop":
      return `stop:${a.taskId}${a.then ? `:${a.then.state}` : ""}`;
    case "remove":
      return `remove:${a.taskId}${a.container ? ":container" : ""}${a.attached ? ":attached" : ""}`;
  }
};

const cases: Case[] = [
  { name: "an assigned task without a container runs", tasks: [makeTask("t1")], want: ["run:t1:create"] },
  {
    name: "a created container that never started is started, not created again",
    tasks: [makeTask("t1", { state: "preparing" })],
    containers: { t1: created },
    want: ["run:t1:start"],
  },
  { name: "a busy task is left alone", tasks: [makeTask("t1")], busy: ["t1"], want: [] },
  {
    name: "a running container the managers think is assigned: report running, no restart",
    tasks: [makeTask("t1", { state: "assigned" })],
    containers: { t1: running },
    want: ["report:t1:running"],
  },
  {
    name: "a running container already reported running: nothing",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: running },
    want: [],
  },
  {
    name: "our report counts even when the managers' state is behind",
    tasks: [makeTask("t1", { state: "assigned" })],
    containers: { t1: running },
    reported: { t1: "running" },
    want: [],
  },
  {
    name: "exit 0 completes",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: exited(0) },
    want: ["report:t1:complete"],
  },
  {
    name: "a non-zero exit fails",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: exited(3) },
    want: ["report:t1:failed"],
  },
  {
    name: "an exit already reported is not reported again, nor restarted",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: exited(3) },
    reported: { t1: "failed" },
    want: [],
  },
  {
    name: "an ended task without a container is not run again",
    tasks: [makeTask("t1", { state: "failed" })],
    want: [],
  },
  { name: "a rejected task is not retried", tasks: [makeTask("t1")], reported: { t1: "rejected" }, want: [] },
  {
    name: "the managers ended a task whose container runs: stop it, report nothing",
    tasks: [makeTask("t1", { state: "orphaned" })],
    containers: { t1: running },
    want: ["stop:t1"],
  },
  {
    name: "unhealthy: stop and fail",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: { ...running, health: "unhealthy", healthOutput: "down" } },
    want: ["stop:t1:failed"],
  },
  {
    name: "healthy or starting health changes nothing",
    tasks: [makeTask("t1", { state: "running" })],
    containers: { t1: { ...running, health: "starting" } },
    want: [],
  },
  {
    name: "desired shutdown and running: stop, then shutdown",
    tasks: [makeTask("t1", { state: "running", desired: "shutdown" })],
    containers: { t1: running },
    want: ["stop:t1:shutdown"],
  },
  {
    name: "desired shutdown, already stopped by us: nothing more, container kept",
    tasks: [makeTask("t1", { state: "running", desired: "shutdown" })],
    containers: { t1: exited(143) },
    reported: { t1: "shutdown" },
    want: [],
  },
  {
    name: "desired remove, never ran: report shutdown",
    tasks: [makeTask("t1", { desired: "remove" })],
    want: ["report:t1:shutdown"],
  },
  {
    name: "desired shutdown after it exited by itself: its real end",
    tasks: [makeTask("t1", { state: "running", desired: "shutdown" })],
    containers: { t1: exited(0) },
    want: ["report:t1:complete"],
  },
  {
    name: "started once, container gone: failed",
    tasks: [makeTask("t1", { state: "running" })],
    want: ["report:t1:failed"],
  },
  {
    name: "a container of an unassigned task goes after a full set",
    tasks: [],
    containers: { old: running },
    attached: ["old", "net-only"],
    mayRemoveUnassigned: true,
    want: ["remove:old:container:attached", "remove:net-only:attached"],
  },
  {
    name: "orphans stay until a full set arrived (or while disconnected)",
    tasks: [],
    containers: { old: running },
    attached: ["old"],
    mayRemoveUnassigned: false,
    want: [],
  },
  {
    name: "a busy unassigned task waits",
    tasks: [],
    containers: { old: running },
    busy: ["old"],
    mayRemoveUnassigned: true,
    want: [],
  },
];

for (const c of cases) {
  test(`reconcile: ${c.name}`, () => {
    const view: LocalView = {
      containers: new Map(Object.entries(c.containers ?? {})),
      attached: new Set(c.attached ?? []),
      reported: new Map(Object.entries(c.reported ?? {})),
      busy: new Set(c.busy ?? []),
      mayRemoveUnassigned: c.mayRemoveUnassigned ?? true,
    };
    const actions = reconcile(new Map(c.tasks.map((t) => [t.id, t])), view);
    assert.deepEqual(actions.map(summary), c.want);
  });
}

test("reconcile: stops use the task's grace period and the unhealthy report carries the probe output", () => {
  const t = makeTask("t1", {
    state: "running",
    template: { container: { image: "busybox", stopGracePeriodMs: 2_500 } },
  });
  const [a] = reconcile(new Map([["t1", t]]), {
    containers: new Map([["t1", { ...running, health: "unhealthy", healthOutput: "connection refused" }]]),
    attached: new Set(),
    reported: new Map(),
    busy: new Set(),
    mayRemoveUnassigned: true,
  });
  assert.deepEqual(a, {
    type: "stop",
    taskId: "t1",
    graceMs: 2_500,
    then: {
      state: "failed",
      message: "unhealthy container stopped",
      err: "unhealthy: connection refused",
      containerId: "t1",
    },
  });
});

test("exitStatus: exit codes, OOM kills and lost shims", () => {
  assert.deepEqual(exitStatus("t", exited(0)), {
    state: "complete",
    message: "finished",
    containerId: "t",
    exitCode: 0,
  });
  assert.equal(exitStatus("t", exited(2)).err, "exit code 2");
  assert.equal(exitStatus("t", exited(137, { oomKilled: true })).err, "OOM killed");
  assert.equal(exitStatus("t", exited(255, { error: "runtime: the shim was lost" })).err, "runtime: the shim was lost");
});

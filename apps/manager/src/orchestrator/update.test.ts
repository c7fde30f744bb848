import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Service, type ServiceSpecInput, type Task } from "@shoal/api";
import { isCurrent, planRollout, rolloutHolds } from "./update.js";

const T = "2026-11-23T10:00:00.000Z";

function service(extra: Partial<ServiceSpecInput> = {}, ports: Service["endpoint"]["ports"] = []): Service {
  const spec = ServiceSpecSchema.parse({
    name: "web",
    mode: { mode: "replicated", replicas: 3 },
    taskTemplate: { container: { image: "busybox" } },
    ...extra,
  });
  return { id: "web", version: 5, createdAt: T, updatedAt: T, spec, endpoint: { ports, virtualIps: [] } };
}

function task(s: Service, slot: number, state: Task["status"]["state"] = "running", o: Partial<Task> = {}): Task {
  return {
    id: `t${slot}-${state}`,
    version: 1,
    createdAt: T,
    updatedAt: T,
    serviceId: s.id,
    slot,
    spec: s.spec.taskTemplate,
    serviceVersion: s.version,
    desiredState: "running",
    status: { state, timestamp: T, message: "" },
    endpoint: { ports: s.endpoint.ports },
    networks: [],
    ...o,
  };
}

const image = (s: Service, img: string): Service =>
  service(
    {
      ...s.spec,
      taskTemplate: { ...s.spec.taskTemplate, container: { ...s.spec.taskTemplate.container, image: img } },
    },
    s.endpoint.ports,
  );

test("isCurrent: a task runs the current spec unless its template or its published ports differ", () => {
  const s = service();
  const t = task(s, 1);
  assert.equal(isCurrent(s, t), true);
  // Same content, other key order (as a round trip through JSON may give): still current.
  assert.equal(isCurrent(s, { ...t, spec: JSON.parse(JSON.stringify(t.spec)) as Task["spec"] }), true);
  assert.equal(isCurrent(image(s, "busybox:2"), t), false);
  const published = service({}, [{ protocol: "tcp", targetPort: 80, publishedPort: 30000, publishMode: "ingress" }]);
  assert.equal(isCurrent(published, t), false);
  assert.equal(isCurrent(published, task(published, 1)), true);
  // Without allocated ports yet, the spec's ports count.
  const specPorts = service({ endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } });
  assert.equal(
    isCurrent(specPorts, task(specPorts, 1, "running", { endpoint: { ports: specPorts.spec.endpoint.ports } })),
    true,
  );
});

const at = (s: number) => new Date(Date.parse(T) + s * 1000).toISOString();
/** The service after an update to `img`, announced at T. */
const updating = (
  img: string,
  extra: Partial<ServiceSpecInput> = {},
  state: NonNullable<Service["updateStatus"]>["state"] = "updating",
): Service => {
  const old = service(extra);
  return { ...image(old, img), previousSpec: old.spec, updateStatus: { state, startedAt: T, message: "" } };
};
const plan = (s: Service, tasks: Task[], now = 10, ports?: Parameters<typeof planRollout>[3]) =>
  planRollout(s, tasks, Date.parse(T) + now * 1000, ports);

test("stop-first: one place at a time, and a place's replacement waits until its old task has stopped", () => {
  const old = service();
  const next = updating("busybox:2");
  const tasks = [task(old, 3), task(old, 1), task(old, 2)];
  const first = plan(next, tasks);
  assert.deepEqual([first.stop, [...first.hold]], [["t1-running"], ["slot:1"]]);
  // The old task of slot 1 is told to stop but still runs: slot 1 is held and nothing else moves.
  const stopping = [{ ...task(old, 1), desiredState: "shutdown" as const }, task(old, 2), task(old, 3)];
  const second = plan(next, stopping);
  assert.deepEqual([second.stop, [...second.hold]], [[], ["slot:1"]]);
  assert.deepEqual([...rolloutHolds(next, stopping).hold], ["slot:1"]);
  // It stopped, and its replacement (made this pass) is on its way: still one place in progress.
  const replacing = [
    { ...task(old, 1, "shutdown"), desiredState: "shutdown" as const },
    task(next, 1, "new", { id: "n1", createdAt: at(3) }),
    task(old, 2),
    task(old, 3),
  ];
  assert.deepEqual(plan(next, replacing).stop, []);
  // Once the replacement runs, the next place goes.
  const ran = [
    { ...task(old, 1, "shutdown"), desiredState: "shutdown" as const },
    task(next, 1, "running", { id: "n1", createdAt: at(3) }),
    task(old, 2),
    task(old, 3),
  ];
  assert.deepEqual(plan(next, ran).stop, ["t2-running"]);
  assert.deepEqual(plan(updating("busybox:2", { updateConfig: { parallelism: 0 } }), tasks).stop.sort(), [
    "t1-running",
    "t2-running",
    "t3-running",
  ]);
});

test("start-first: the replacement starts beside the old task, which stops once the replacement runs", () => {
  const old = service({ updateConfig: { order: "start-first" } });
  const next = updating("busybox:2", { updateConfig: { order: "start-first" } });
  const tasks = [task(old, 1), task(old, 2)];
  const first = plan(next, tasks);
  assert.deepEqual([first.stop, [...first.startFirst]], [[], ["slot:1"]]);
  const both = [task(old, 1), task(next, 1, "starting", { id: "n1", createdAt: at(1) }), task(old, 2)];
  const second = plan(next, both);
  assert.deepEqual([second.stop, [...second.pairs], [...second.startFirst]], [[], ["slot:1"], []]);
  const running = [task(old, 1), task(next, 1, "running", { id: "n1", createdAt: at(1) }), task(old, 2)];
  const third = plan(next, running);
  assert.deepEqual([third.stop, [...third.startFirst]], [["t1-running"], ["slot:2"]]);
});

test("the next batch waits the update delay after the last replacement started running", () => {
  const old = service({ updateConfig: { delayMs: 10_000 } });
  const next = updating("busybox:2", { updateConfig: { delayMs: 10_000 } });
  const tasks = [
    task(next, 1, "running", {
      id: "n1",
      createdAt: at(1),
      status: { state: "running", timestamp: at(2), message: "" },
    }),
    task(old, 2),
  ];
  const early = plan(next, tasks, 5);
  assert.deepEqual([early.stop, early.wakeAt], [[], Date.parse(at(12))]);
  assert.deepEqual(plan(next, tasks, 13).stop, ["t2-running"]);
});

test("a failing replacement pauses the update by default, and says which task failed and why", () => {
  const old = service();
  const next = updating("busybox:2");
  const failed = task(next, 1, "failed", {
    id: "n1",
    createdAt: at(1),
    status: { state: "failed", timestamp: at(3), message: "", exitCode: 2, err: "exit status 2" },
  });
  const p = plan(next, [failed, task(old, 2), task(old, 3)]);
  assert.deepEqual(p.stop, []);
  assert.equal(p.change?.updateStatus?.state, "paused");
  assert.equal(p.change?.updateStatus?.message, "update paused: task web.1 failed (exit code 2): exit status 2");
  // Paused: nothing more is replaced.
  const paused = { ...next, updateStatus: { state: "paused" as const, startedAt: T, message: "" } };
  assert.deepEqual(
    [plan(paused, [failed, task(old, 2)]).stop, plan(paused, [failed, task(old, 2)]).change],
    [[], undefined],
  );
  // A tolerated ratio goes on.
  const tolerant = updating("busybox:2", { updateConfig: { maxFailureRatio: 0.5, parallelism: 2 } });
  const tolerated = plan(tolerant, [
    failed,
    task(tolerant, 2, "running", { id: "n2", createdAt: at(1) }),
    task(old, 3),
  ]);
  assert.deepEqual([tolerated.change, tolerated.stop], [undefined, ["t3-running"]]);
});

test("failure action rollback puts the previous spec back, and the rollback runs with the rollback config", () => {
  const old = service({ updateConfig: { failureAction: "rollback" } });
  const next = updating("busybox:2", { updateConfig: { failureAction: "rollback" } });
  const failed = task(next, 1, "failed", {
    id: "n1",
    createdAt: at(1),
    status: { state: "failed", timestamp: at(3), message: "", exitCode: 1 },
  });
  const p = plan(next, [failed, task(old, 2)], 10, (spec) => [
    {
      protocol: "tcp",
      targetPort: spec.endpoint.ports[0]?.targetPort ?? 80,
      publishedPort: 30001,
      publishMode: "ingress",
    },
  ]);
  assert.equal(p.change?.spec?.taskTemplate.container.image, "busybox");
  assert.equal(p.change?.previousSpec?.taskTemplate.container.image, "busybox:2");
  assert.equal(p.change?.updateStatus?.state, "rollback_started");
  assert.match(p.change?.updateStatus?.message ?? "", /update rolled back: task web.1 failed \(exit code 1\)/);
  assert.equal(p.change?.endpoint?.ports[0]?.publishedPort, 30001);
  // Rolling back: the failed new task is now the outdated one.
  const back: Service = {
    ...old,
    previousSpec: next.spec,
    updateStatus: { state: "rollback_started", startedAt: at(10), message: "" },
  };
  const r = plan(back, [{ ...task(next, 1, "running"), id: "bad" }, task(old, 2)], 11);
  assert.deepEqual(r.stop, ["bad"]);
});

test("the update completes once every place runs a current task for the monitor period", () => {
  const next = updating("busybox:2", { updateConfig: { monitorMs: 5_000 } });
  const tasks = [1, 2].map((slot) =>
    task(next, slot, "running", {
      id: `n${slot}`,
      createdAt: at(1),
      status: { state: "running", timestamp: at(slot), message: "" },
    }),
  );
  const early = plan(next, tasks, 4);
  assert.deepEqual([early.change, early.wakeAt], [undefined, Date.parse(at(7))]);
  const done = plan(next, tasks, 8);
  assert.equal(done.change?.updateStatus?.state, "completed");
  assert.equal(done.change?.updateStatus?.startedAt, T);
  // A spec change nobody announced (no update status) starts an update first.
  const old = service();
  assert.equal(
    planRollout(image(old, "busybox:3"), [task(old, 1)], Date.parse(T)).change?.updateStatus?.state,
    "updating",
  );
});

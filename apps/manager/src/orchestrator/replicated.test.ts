import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Service, type ServiceSpecInput, type Task, type TaskState } from "@shoal/api";
import { reconcileReplicated } from "./replicated.js";

const NOW = Date.parse("2026-11-23T10:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

function service(
  replicas: number,
  restartPolicy: NonNullable<ServiceSpecInput["taskTemplate"]["restartPolicy"]> = {},
): Service {
  const spec = ServiceSpecSchema.parse({
    name: "web",
    mode: { mode: "replicated", replicas },
    taskTemplate: { container: { image: "b" }, restartPolicy },
  });
  return { id: "svc", version: 7, createdAt: iso(0), updatedAt: iso(0), spec, endpoint: { ports: [], virtualIps: [] } };
}

let seq = 0;
function task(svc: Service, slot: number, state: TaskState, endedAgoMs = 0, desired: TaskState = "running"): Task {
  seq++;
  return {
    id: `t${seq}`,
    version: 1,
    createdAt: iso(NOW - 100_000 + seq),
    updatedAt: iso(NOW),
    serviceId: svc.id,
    slot,
    spec: svc.spec.taskTemplate,
    serviceVersion: 1,
    desiredState: desired,
    status: { state, timestamp: iso(NOW - endedAgoMs), message: "" },
    endpoint: { ports: [] },
    networks: [],
  };
}

const ids = () => {
  let n = 0;
  return () => `new${++n}`;
};

test("missing slots get new tasks; running ones are left alone", () => {
  const svc = service(3);
  const d = reconcileReplicated(svc, [task(svc, 2, "running")], NOW, ids());
  assert.deepEqual(
    d.create.map((t) => [t.slot, t.id, t.status.state, t.desiredState, t.serviceVersion]),
    [
      [1, "new1", "new", "running", 7],
      [3, "new2", "new", "running", 7],
    ],
  );
  assert.deepEqual(d.shutdown, []);
});

test("scaling down shuts down the highest slots", () => {
  const svc = service(1);
  const live = [task(svc, 1, "running"), task(svc, 2, "running"), task(svc, 3, "pending")];
  const d = reconcileReplicated(svc, live, NOW, ids());
  assert.deepEqual(d.shutdown, [live[2]!.id, live[1]!.id]);
  assert.deepEqual(d.create, []);
});

test("a failed task is replaced after the restart delay, not before", () => {
  const svc = service(1, { delayMs: 5000 });
  const early = reconcileReplicated(svc, [task(svc, 1, "failed", 1000)], NOW, ids());
  assert.deepEqual(early.create, []);
  assert.equal(early.wakeAt, NOW + 4000);
  const later = reconcileReplicated(svc, [task(svc, 1, "failed", 6000)], NOW, ids());
  assert.equal(later.create.length, 1);
  assert.equal(later.create[0]?.slot, 1);
});

test("restart conditions: none never restarts, on-failure only after a failure", () => {
  const none = service(1, { condition: "none", delayMs: 0 });
  assert.deepEqual(reconcileReplicated(none, [task(none, 1, "failed")], NOW, ids()).create, []);
  const onFailure = service(2, { condition: "on-failure", delayMs: 0 });
  const d = reconcileReplicated(onFailure, [task(onFailure, 1, "complete"), task(onFailure, 2, "failed")], NOW, ids());
  assert.deepEqual(
    d.create.map((t) => t.slot),
    [2],
  );
  assert.match(d.notRestarted[0]?.reason ?? "", /on-failure/);
});

test("max attempts within the window stop further restarts", () => {
  const svc = service(1, { delayMs: 0, maxAttempts: 2 });
  const history = [task(svc, 1, "failed"), task(svc, 1, "failed"), task(svc, 1, "failed")];
  const d = reconcileReplicated(svc, history, NOW, ids());
  assert.deepEqual(d.create, []);
  assert.match(d.notRestarted[0]?.reason ?? "", /limit of 2/);
  const windowed = service(1, { delayMs: 0, maxAttempts: 2, windowMs: 10 });
  // The earlier attempts fall outside a 10 ms window: the slot may restart again.
  assert.equal(
    reconcileReplicated(
      windowed,
      history.map((t) => ({ ...t, spec: windowed.spec.taskTemplate })),
      NOW,
      ids(),
    ).create.length,
    1,
  );
});

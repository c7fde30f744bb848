import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type Service, type ServiceSpecInput, type Task } from "@shoal/api";
import { isCurrent, outdatedTasks, stableJson } from "./update.js";

const T = "2026-11-23T10:00:00.000Z";

function service(extra: Partial<ServiceSpecInput> = {}, ports: Service["endpoint"]["ports"] = []): Service {
  const spec = ServiceSpecSchema.parse({ name: "web", mode: { mode: "replicated", replicas: 3 }, taskTemplate: { container: { image: "busybox" } }, ...extra });
  return { id: "web", version: 5, createdAt: T, updatedAt: T, spec, endpoint: { ports, virtualIps: [] } };
}

function task(s: Service, slot: number, state: Task["status"]["state"] = "running", o: Partial<Task> = {}): Task {
  return {
    id: `t${slot}-${state}`, version: 1, createdAt: T, updatedAt: T, serviceId: s.id, slot, spec: s.spec.taskTemplate, serviceVersion: s.version,
    desiredState: "running", status: { state, timestamp: T, message: "" }, endpoint: { ports: s.endpoint.ports }, networks: [], ...o,
  };
}

const image = (s: Service, img: string): Service => service({ ...s.spec, taskTemplate: { ...s.spec.taskTemplate, container: { ...s.spec.taskTemplate.container, image: img } } }, s.endpoint.ports);

test("stableJson ignores key order and undefined fields", () => {
  assert.equal(stableJson({ b: 1, a: [{ y: 2, x: undefined, z: "s" }] }), stableJson({ a: [{ z: "s", y: 2 }], b: 1 }));
  assert.notEqual(stableJson({ a: [1, 2] }), stableJson({ a: [2, 1] }));
});

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
  assert.equal(isCurrent(specPorts, task(specPorts, 1, "running", { endpoint: { ports: specPorts.spec.endpoint.ports } })), true);
});

test("outdatedTasks: parallelism slots at a time, lowest slots first, counting replacements not yet running", () => {
  const old = service();
  const next = image(old, "busybox:2");
  const live = [task(old, 3), task(old, 1), task(old, 2)];
  assert.deepEqual(outdatedTasks(next, live), ["t1-running"]);
  assert.deepEqual(outdatedTasks(image(service({ updateConfig: { parallelism: 2 } }), "busybox:2"), live), ["t1-running", "t2-running"]);
  assert.deepEqual(outdatedTasks(image(service({ updateConfig: { parallelism: 0 } }), "busybox:2"), live).sort(), ["t1-running", "t2-running", "t3-running"]);
  // Slot 1's replacement is still starting: no room for another slot.
  const replaced = [task(next, 1, "starting"), task(old, 2), task(old, 3)];
  assert.deepEqual(outdatedTasks(next, replaced), []);
  // Once it runs, the next slot goes.
  assert.deepEqual(outdatedTasks(next, [task(next, 1, "running"), task(old, 2), task(old, 3)]), ["t2-running"]);
  assert.deepEqual(outdatedTasks(next, [task(next, 1), task(next, 2), task(next, 3)]), []);
});

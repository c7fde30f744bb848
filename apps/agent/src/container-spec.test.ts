import assert from "node:assert/strict";
import { test } from "node:test";
import { containerSpecFor } from "./container-spec.js";
import { makeTask } from "./testing/tasks.js";

test("container spec: the task template maps onto the runtime's spec, with Shoal's labels", () => {
  const task = makeTask("t1", {
    slot: 2,
    template: {
      container: {
        image: "app:1",
        command: ["/bin/app"],
        args: ["--port", "80"],
        env: ["A=1"],
        user: "nobody",
        workdir: "/srv",
        hostname: "web",
        labels: { team: "x" },
        mounts: [
          { type: "volume", source: "data", target: "/data" },
          { type: "bind", source: "/etc/app", target: "/etc/app", readOnly: true },
          { type: "tmpfs", target: "/tmp", sizeBytes: 1024 },
        ],
        healthcheck: { test: ["CMD", "true"], intervalMs: 5_000 },
        stopSignal: "SIGINT",
        stopGracePeriodMs: 3_000,
        readOnly: true,
        init: false,
        security: { seccomp: "unconfined", noNewPrivileges: false },
      },
      resources: {
        limits: { memoryBytes: 64 * 2 ** 20, cpus: 0.5, pids: 100 },
        reservations: { memoryBytes: 32 * 2 ** 20, cpus: 0.25 },
      },
    },
  });
  assert.deepEqual(containerSpecFor(task, "node1", { mode: "path", path: "/run/netns/t1" }), {
    id: "t1",
    image: "app:1",
    entrypoint: ["/bin/app"],
    cmd: ["--port", "80"],
    env: ["A=1"],
    user: "nobody",
    workdir: "/srv",
    hostname: "web",
    network: { mode: "path", path: "/run/netns/t1" },
    mounts: [
      { type: "volume", source: "data", target: "/data", readOnly: false },
      { type: "bind", source: "/etc/app", target: "/etc/app", readOnly: true },
      { type: "tmpfs", target: "/tmp", sizeBytes: 1024 },
    ],
    readOnlyRootfs: true,
    init: false,
    seccomp: "unconfined",
    noNewPrivileges: false,
    stopSignal: "SIGINT",
    stopGracePeriodMs: 3_000,
    healthcheck: { test: ["CMD", "true"], intervalMs: 5_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0 },
    resources: { memoryBytes: 64 * 2 ** 20, cpus: 0.5, pidsLimit: 100, memoryReservationBytes: 32 * 2 ** 20 },
    labels: {
      team: "x",
      "shoal.task.id": "t1",
      "shoal.service.id": "svc1",
      "shoal.slot": "2",
      "shoal.node.id": "node1",
    },
  });
});

test("container spec: what the template leaves out comes from the image (no fields, no resources)", () => {
  const spec = containerSpecFor(makeTask("t2", { template: { container: { image: "busybox" } } }), "n", {
    mode: "none",
  });
  assert.equal(spec.entrypoint, undefined);
  assert.equal(spec.cmd, undefined);
  assert.equal(spec.resources, undefined);
  assert.equal(spec.healthcheck, undefined);
  assert.equal(spec.init, true);
  assert.equal(spec.seccomp, "default");
  assert.equal(spec.noNewPrivileges, true);
});

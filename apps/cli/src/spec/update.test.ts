import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceSpecSchema, type ServiceSpec } from "@shoal/api";
import { parseArgs } from "../args/parser.js";
import { UsageError } from "../errors.js";
import { UPDATE_OPTIONS } from "./service-flags.js";
import { FORCE_UPDATE_LABEL, buildUpdateSpec } from "./update.js";
import { validateServiceSpec } from "./validate.js";

const current: ServiceSpec = ServiceSpecSchema.parse({
  name: "web",
  labels: { team: "a", old: "x" },
  mode: { mode: "replicated", replicas: 2 },
  taskTemplate: {
    container: {
      image: "busybox:1.35",
      env: ["A=1", "B=2"],
      mounts: [{ type: "volume", source: "d", target: "/data" }],
      labels: { c: "1" },
    },
    placement: {
      constraints: ["node.role==worker", "node.labels.zone==a"],
      preferences: [{ spread: "node.labels.zone" }],
    },
    resources: { limits: { memoryBytes: 64 * 1024 ** 2 } },
  },
  endpoint: {
    ports: [
      { targetPort: 80, publishedPort: 8080 },
      { targetPort: 53, publishedPort: 53, protocol: "udp" },
    ],
  },
});

const update = (...argv: string[]): ServiceSpec =>
  validateServiceSpec(
    buildUpdateSpec(current, parseArgs(argv, { options: UPDATE_OPTIONS }, "service update"), { HOME_VAR: "h" }),
  );

test("update flags add, replace and remove entries by key and leave the rest of the spec alone", () => {
  const s = update(
    "--image",
    "busybox:1.36",
    "--replicas",
    "5",
    "--env-add",
    "B=3",
    "--env-add",
    "C=4",
    "--env-rm",
    "A",
    "--publish-add",
    "9090:90",
    "--publish-add",
    "8081:80",
    "--publish-rm",
    "53/udp",
    "--mount-add",
    "type=tmpfs,target=/tmp",
    "--mount-rm",
    "/data",
    "--constraint-add",
    "node.labels.ssd==true",
    "--constraint-rm",
    "node.role == worker",
    "--placement-pref-rm",
    "spread=node.labels.zone",
    "--label-add",
    "team=b",
    "--label-rm",
    "old",
    "--container-label-add",
    "d=2",
    "--container-label-rm",
    "c",
    "--limit-cpu",
    "1.5",
    "--reserve-memory",
    "16M",
    "--args",
    "sleep 3600",
    "web",
  );
  assert.equal(s.taskTemplate.container.image, "busybox:1.36");
  assert.deepEqual(s.mode, { mode: "replicated", replicas: 5 });
  assert.deepEqual(s.taskTemplate.container.env, ["B=3", "C=4"]);
  assert.deepEqual(
    s.endpoint.ports.map((p) => `${p.publishedPort}:${p.targetPort}/${p.protocol}`),
    ["9090:90/tcp", "8081:80/tcp"],
  );
  assert.deepEqual(s.taskTemplate.container.mounts, [{ type: "tmpfs", target: "/tmp" }]);
  assert.deepEqual(s.taskTemplate.placement.constraints, ["node.labels.zone==a", "node.labels.ssd==true"]);
  assert.deepEqual(s.taskTemplate.placement.preferences, []);
  assert.deepEqual(s.labels, { team: "b" });
  assert.deepEqual(s.taskTemplate.container.labels, { d: "2" });
  assert.deepEqual(s.taskTemplate.resources.limits, { memoryBytes: 64 * 1024 ** 2, cpus: 1.5 });
  assert.deepEqual(s.taskTemplate.resources.reservations, { memoryBytes: 16 * 1024 ** 2 });
  assert.deepEqual(s.taskTemplate.container.args, ["sleep", "3600"]);
  assert.equal(current.taskTemplate.container.image, "busybox:1.35", "the current spec is not changed");
});

test("--force bumps a counter container label each time", () => {
  const once = update("--force", "web");
  assert.equal(once.taskTemplate.container.labels[FORCE_UPDATE_LABEL], "1");
  const twice = buildUpdateSpec(once, parseArgs(["--force"], { options: UPDATE_OPTIONS }, "service update"), {});
  assert.equal(twice.taskTemplate.container.labels?.[FORCE_UPDATE_LABEL], "2");
});

test("--security-opt changes one setting and keeps the other", () => {
  const unconfined = update("--security-opt", "seccomp=unconfined", "web");
  assert.deepEqual(unconfined.taskTemplate.container.security, { seccomp: "unconfined", noNewPrivileges: true });
  const back = buildUpdateSpec(
    unconfined,
    parseArgs(["--security-opt", "no-new-privileges=false"], { options: UPDATE_OPTIONS }, "service update"),
    {},
  );
  assert.deepEqual(back.taskTemplate.container.security, { seccomp: "unconfined", noNewPrivileges: false });
  assert.throws(
    () => update("--security-opt", "seccomp=off", "web"),
    (e: unknown) =>
      e instanceof UsageError && /--security-opt "seccomp=off": seccomp takes default or unconfined/.test(e.message),
  );
});

test("with no flags the spec is unchanged", () => {
  assert.deepEqual(update("web"), current);
});

test("bad update values are usage errors naming the flag", () => {
  assert.throws(
    () => update("--publish-rm", "http", "web"),
    (e: unknown) => e instanceof UsageError && /--publish-rm/.test(e.message),
  );
  assert.throws(
    () => update("--publish-add", "x:80", "web"),
    (e: unknown) => e instanceof UsageError && /--publish-add/.test(e.message),
  );
  assert.throws(
    () => update("--mount-add", "type=bind,target=/x", "web"),
    (e: unknown) => e instanceof UsageError && /--mount-add/.test(e.message),
  );
  assert.throws(
    () => update("--health-retries", "3", "web"),
    (e: unknown) => e instanceof UsageError && /--health-retries needs a health check/.test(e.message),
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError, parseOrThrow } from "./errors.js";
import { ServiceSpecSchema, type ServiceSpecInput } from "./service.js";

const minimal: ServiceSpecInput = { name: "web", taskTemplate: { container: { image: "busybox" } } };

test("a minimal service spec gets Swarm's defaults", () => {
  const s = parseOrThrow(ServiceSpecSchema, minimal, "service spec");
  assert.deepEqual(s.mode, { mode: "replicated", replicas: 1 });
  assert.deepEqual(s.taskTemplate.restartPolicy, { condition: "any", delayMs: 5000, maxAttempts: 0, windowMs: 0 });
  assert.equal(s.taskTemplate.container.stopGracePeriodMs, 10_000);
  assert.equal(s.taskTemplate.container.init, true);
  assert.deepEqual(s.taskTemplate.container.security, { seccomp: "default", noNewPrivileges: true });
  assert.deepEqual(s.endpoint, { mode: "vip", ports: [] });
  assert.equal(s.updateConfig.parallelism, 1);
});

const bad: [string, ServiceSpecInput, string, RegExp][] = [
  ["bad name", { ...minimal, name: "-web" }, "name", /letters, digits/],
  ["negative replicas", { ...minimal, mode: { mode: "replicated", replicas: -1 } }, "mode.replicas", /./],
  [
    "no image",
    { name: "web", taskTemplate: { container: { image: "" } } },
    "taskTemplate.container.image",
    /name the image/,
  ],
  [
    "env without =",
    { name: "web", taskTemplate: { container: { image: "b", env: ["FOO"] } } },
    "taskTemplate.container.env.0",
    /NAME=value/,
  ],
  [
    "relative mount target",
    { name: "web", taskTemplate: { container: { image: "b", mounts: [{ type: "tmpfs", target: "tmp" }] } } },
    "taskTemplate.container.mounts.0.target",
    /absolute/,
  ],
  [
    "a seccomp profile path",
    { name: "web", taskTemplate: { container: { image: "b", security: { seccomp: "/p.json" as never } } } },
    "taskTemplate.container.security.seccomp",
    /"default"\|"unconfined"/,
  ],
  [
    "tiny memory limit",
    { name: "web", taskTemplate: { container: { image: "b" }, resources: { limits: { memoryBytes: 1024 } } } },
    "taskTemplate.resources.limits.memoryBytes",
    /6 MiB/,
  ],
  [
    "bad constraint",
    { name: "web", taskTemplate: { container: { image: "b" }, placement: { constraints: ["zone=a"] } } },
    "taskTemplate.placement.constraints.0",
    /node\.labels/,
  ],
  [
    "port published twice",
    {
      ...minimal,
      endpoint: {
        ports: [
          { targetPort: 80, publishedPort: 8080 },
          { targetPort: 81, publishedPort: 8080 },
        ],
      },
    },
    "endpoint.ports.1.publishedPort",
    /published twice/,
  ],
  [
    "dnsrr with ingress port",
    { ...minimal, endpoint: { mode: "dnsrr", ports: [{ targetPort: 80, publishedPort: 8080 }] } },
    "endpoint.mode",
    /dnsrr/,
  ],
  [
    "healthcheck without CMD",
    { name: "web", taskTemplate: { container: { image: "b", healthcheck: { test: ["curl", "x"] } } } },
    "taskTemplate.container.healthcheck.test",
    /CMD/,
  ],
];

for (const [name, spec, field, message] of bad) {
  test(`a service spec with ${name} is refused, naming ${field}`, () => {
    assert.throws(
      () => parseOrThrow(ServiceSpecSchema, spec, "service spec"),
      (e: unknown) =>
        e instanceof ValidationError &&
        e.issues.some((i) => i.field === field && message.test(i.message)) &&
        e.message.includes(field),
    );
  });
}

test("valid constraints of every kind are accepted", () => {
  const constraints = [
    "node.id==abc",
    "node.hostname != n1",
    "node.role==manager",
    "node.labels.zone==eu-1",
    "engine.labels.ssd==true",
  ];
  const s = parseOrThrow(
    ServiceSpecSchema,
    { ...minimal, taskTemplate: { container: { image: "b" }, placement: { constraints } } },
    "spec",
  );
  assert.deepEqual(s.taskTemplate.placement.constraints, constraints);
});

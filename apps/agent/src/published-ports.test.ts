import assert from "node:assert/strict";
import { test } from "node:test";
import { publishedPortRules, sameRules } from "./published-ports.js";
import { makeTask } from "./testing/tasks.js";

test("published ports: grouped by port and protocol over the running tasks' addresses", () => {
  const web = (id: string) =>
    makeTask(id, {
      ports: [
        { targetPort: 80, publishedPort: 8080 },
        { targetPort: 53, publishedPort: 5353, protocol: "udp" },
        { targetPort: 9000 },
      ],
    });
  const rules = publishedPortRules([
    { task: web("a"), address: "10.0.0.3" },
    { task: web("b"), address: "10.0.0.2" },
    {
      task: makeTask("c", { serviceId: "other", ports: [{ targetPort: 6379, publishedPort: 6379 }] }),
      address: "10.0.0.4",
    },
  ]);
  assert.deepEqual(rules, [
    { protocol: "udp", publishedPort: 5353, targetPort: 53, backends: ["10.0.0.2", "10.0.0.3"] },
    { protocol: "tcp", publishedPort: 6379, targetPort: 6379, backends: ["10.0.0.4"] },
    { protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: ["10.0.0.2", "10.0.0.3"] },
  ]);
  assert.ok(
    sameRules(
      rules,
      publishedPortRules([
        { task: web("b"), address: "10.0.0.2" },
        { task: web("a"), address: "10.0.0.3" },
        { task: makeTask("c", { ports: [{ targetPort: 6379, publishedPort: 6379 }] }), address: "10.0.0.4" },
      ]),
    ),
  );
});

test("published ports: during an update that changes the target port, the newest version's tasks serve", () => {
  const rules = publishedPortRules([
    {
      task: makeTask("old", { serviceVersion: 1, ports: [{ targetPort: 80, publishedPort: 8080 }] }),
      address: "10.0.0.2",
    },
    {
      task: makeTask("new", { serviceVersion: 2, ports: [{ targetPort: 8000, publishedPort: 8080 }] }),
      address: "10.0.0.3",
    },
  ]);
  assert.deepEqual(rules, [{ protocol: "tcp", publishedPort: 8080, targetPort: 8000, backends: ["10.0.0.3"] }]);
  assert.deepEqual(publishedPortRules([]), []);
});

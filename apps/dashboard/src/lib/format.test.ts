import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAge, formatBytes, nodeTone, portsText, replicasText, taskTone } from "./format.js";
import { node, service } from "./testing.js";
import { parseRoute, href, type Route } from "./route.js";

test("ages and sizes read as people say them", () => {
  assert.equal(formatAge(0, 500), "just now");
  assert.equal(formatAge(0, 42_000), "42 s");
  assert.equal(formatAge(0, 5 * 60_000), "5 min");
  assert.equal(formatAge(0, 3 * 3_600_000), "3 h");
  assert.equal(formatAge(0, 50 * 3_600_000), "2 d");
  assert.equal(formatAge(1000, 0), "just now", "a clock behind the server's is not negative");
  assert.equal(formatBytes(512 * 2 ** 20), "512 MiB");
  assert.equal(formatBytes(1.5 * 2 ** 30), "1.5 GiB");
  assert.equal(formatBytes(2 ** 30), "1 GiB");
  assert.equal(formatBytes(100), "100 B");
});

test("replicas, ports and tones", () => {
  assert.equal(replicasText(service("s", { replicas: 1 })), "1 replica");
  const s = service("s");
  s.endpoint.ports = [
    { protocol: "tcp", targetPort: 80, publishedPort: 8080, publishMode: "ingress" },
    { protocol: "udp", targetPort: 53, publishedPort: 5353, publishMode: "host" },
  ];
  assert.equal(portsText(s), "*:8080->80/tcp, 5353->53/udp (host)");
  assert.equal(taskTone("running"), "good");
  assert.equal(taskTone("pending"), "warn");
  assert.equal(taskTone("rejected"), "bad");
  assert.equal(nodeTone(node("n", { availability: "drain" })), "warn");
  assert.equal(nodeTone(node("n", { state: "down" })), "bad");
});

test("routes round-trip through the hash, and unknown paths say so", () => {
  const routes: Route[] = [
    { page: "overview" },
    { page: "services" },
    { page: "service", id: "abc" },
    { page: "nodes" },
    { page: "networks" },
    { page: "events" },
    { page: "logs", taskId: "t1" },
  ];
  for (const r of routes) assert.deepEqual(parseRoute(href(r)), r);
  assert.deepEqual(parseRoute(""), { page: "overview" });
  assert.deepEqual(parseRoute("#/services/"), { page: "services" });
  assert.deepEqual(parseRoute("#/nope/x"), { page: "not-found", path: "/nope/x" });
});

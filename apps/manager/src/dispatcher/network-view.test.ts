import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkSpecSchema, ServiceSpecSchema } from "@shoal/api";
import { allocate } from "../allocator/allocate.js";
import { addTasks, changeNode, seededStore, serviceSpec, setTaskStates } from "../testing/fixtures.js";
import { networkViewFor } from "./network-view.js";

test("a node's view: the networks of its tasks, every endpoint on them, and the services found there; ingress only with a published port", async () => {
  const store = await seededStore({ nodes: ["a", "b", "c"] });
  await changeNode(store, "b", { status: { addr: "192.168.5.2" } });
  for (const [id, name, ingress] of [
    ["ning", "ingress", true],
    ["nfront", "front", false],
    ["nback", "back", false],
  ] as const) {
    await store.write([
      { op: "create", kind: "network", object: { id, spec: NetworkSpecSchema.parse({ name, ingress }), subnets: [] } },
    ]);
  }
  const service = (id: string, networks: { target: string; aliases?: string[] }[], mode: "vip" | "dnsrr" = "vip") =>
    store.write([
      {
        op: "create",
        kind: "service",
        object: {
          id,
          spec: ServiceSpecSchema.parse(
            serviceSpec(id, { taskTemplate: { container: { image: "busybox" }, networks }, endpoint: { mode } }),
          ),
          endpoint: { ports: [], virtualIps: [] },
        },
      },
    ]);
  await service("web", [{ target: "front", aliases: ["www"] }]);
  await service("db", [{ target: "back" }], "dnsrr");
  const [w1, w2] = await addTasks(store, "web", [
    { slot: 1, nodeId: "a" },
    { slot: 2, nodeId: "b" },
  ]);
  await addTasks(store, "db", [{ slot: 1, nodeId: "c" }]);
  await store.write(allocate(store.state));
  await setTaskStates(store, [w1!], "running");
  await setTaskStates(store, [w2!], "assigned");

  const view = networkViewFor(store.state, "a");
  assert.deepEqual(
    view.networks.map((n) => [n.name, n.ingress]),
    [["front", false]],
    "only its tasks' networks; no ingress while nothing is published",
  );
  assert.deepEqual(
    view.endpoints.map((e) => [e.taskId, e.nodeAddr, e.serving]),
    [
      [w1, "127.0.0.1", true],
      [w2, "192.168.5.2", false],
    ],
  );
  assert.ok(
    view.endpoints.every((e) => !e.address.includes("/")),
    "plain addresses",
  );
  const web = view.services.find((s) => s.name === "web");
  assert.equal(web?.vips.length, 1);
  assert.deepEqual(
    web?.aliases.map((a) => a.names),
    [["www"]],
  );
  assert.ok(!view.services.some((s) => s.name === "db"), "services on networks the node is not on are left out");
  assert.deepEqual(
    networkViewFor(store.state, "c").services.map((s) => [s.name, s.endpointMode, s.vips.length]),
    [["db", "dnsrr", 0]],
  );
  assert.deepEqual(networkViewFor(store.state, "a"), view, "the same state gives the same view");

  await store.write([
    {
      op: "create",
      kind: "service",
      object: {
        id: "pub",
        spec: ServiceSpecSchema.parse(
          serviceSpec("pub", { endpoint: { ports: [{ targetPort: 80, publishedPort: 8080 }] } }),
        ),
        endpoint: {
          ports: [{ targetPort: 80, publishedPort: 8080, protocol: "tcp", publishMode: "ingress" }],
          virtualIps: [],
        },
      },
    },
  ]);
  await store.write(allocate(store.state));
  const withMesh = networkViewFor(store.state, "c");
  assert.ok(
    withMesh.networks.some((n) => n.ingress),
    "with a published port every node joins ingress",
  );
  assert.equal(withMesh.nodeAttachments.length, 1, "with its own mesh endpoint");
  assert.deepEqual(
    withMesh.endpoints
      .filter((e) => e.networkId === "ning")
      .map((e) => e.nodeId)
      .sort(),
    ["a", "b", "c"],
    "and knows every node's",
  );
  assert.ok(withMesh.services.some((s) => s.name === "pub" && s.ports[0]?.publishedPort === 8080));
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task } from "@shoal/api";
import type { NetworkView } from "@shoal/bus";
import {
  answerAddress,
  answerName,
  MESH_SANDBOX,
  overlayDesired,
  TASKS_TTL,
  VIP_TTL,
  withMesh,
} from "./network-desired.js";

const task = (id: string, networks: [string, string][]): Task =>
  ({ id, networks: networks.map(([networkId, a]) => ({ networkId, addresses: [a] })) }) as Task;
const ep = (
  networkId: string,
  address: string,
  nodeId: string,
  serviceId?: string,
  serving = true,
): NetworkView["endpoints"][number] => ({
  networkId,
  address,
  nodeId,
  nodeAddr: `192.168.0.${nodeId === "a" ? 1 : 2}`,
  ...(serviceId === undefined ? {} : { taskId: `t${address.split(".").at(-1) ?? ""}`, serviceId }),
  serving,
});
const view: NetworkView = {
  networks: [
    { id: "front", name: "front", vni: 4096, subnet: "10.10.1.0/24", gateway: "10.10.1.1", ingress: false },
    { id: "ing", name: "ingress", vni: 4097, subnet: "10.10.0.0/24", gateway: "10.10.0.1", ingress: true },
  ],
  nodeAttachments: [{ networkId: "ing", address: "10.10.0.2" }],
  endpoints: [
    ep("front", "10.10.1.3", "a", "web"),
    ep("front", "10.10.1.4", "b", "web"),
    ep("front", "10.10.1.5", "b", "web", false),
    ep("front", "10.10.1.6", "b", "db"),
    ep("ing", "10.10.0.2", "a"),
    ep("ing", "10.10.0.3", "b"),
    ep("ing", "10.10.0.4", "b", "web"),
  ],
  services: [
    {
      id: "web",
      name: "web",
      endpointMode: "vip",
      vips: [{ networkId: "front", address: "10.10.1.2" }],
      aliases: [{ networkId: "front", names: ["WWW"] }],
      ports: [{ protocol: "tcp", targetPort: 80, publishedPort: 8080, publishMode: "ingress" }],
    },
    { id: "db", name: "db", endpointMode: "dnsrr", vips: [], aliases: [], ports: [] },
  ],
};

test("the overlay of node a: its tasks and mesh endpoint attached, the other node's endpoints as remotes, VIPs over serving tasks", () => {
  const d = overlayDesired(
    view,
    "a",
    [
      {
        task: task("t3", [
          ["front", "10.10.1.3/24"],
          ["gone", "10.9.9.9/24"],
        ]),
        netns: "shoal-t3",
      },
    ],
    "shoal-mesh",
  );
  assert.deepEqual(
    d.networks.map((n) => n.id),
    ["front", "ing"],
  );
  assert.deepEqual(
    d.attachments,
    [
      { networkId: "front", netns: "shoal-t3", address: "10.10.1.3" },
      { networkId: "ing", netns: "shoal-mesh", address: "10.10.0.2" },
    ],
    "networks the view does not hold are left out",
  );
  assert.deepEqual(
    d.remotes.map((r) => [r.address, r.mac, r.nodeAddress]),
    [
      ["10.10.1.4", "02:53:0a:0a:01:04", "192.168.0.2"],
      ["10.10.1.5", "02:53:0a:0a:01:05", "192.168.0.2"],
      ["10.10.1.6", "02:53:0a:0a:01:06", "192.168.0.2"],
      ["10.10.0.3", "02:53:0a:0a:00:03", "192.168.0.2"],
      ["10.10.0.4", "02:53:0a:0a:00:04", "192.168.0.2"],
    ],
    "every endpoint on another node, serving or not (its neighbour entry is ready before it serves)",
  );
  assert.deepEqual(
    d.vips,
    [{ networkId: "front", vip: "10.10.1.2", backends: ["10.10.1.3", "10.10.1.4"] }],
    "only serving tasks are backends",
  );
  assert.equal(MESH_SANDBOX.includes("-"), true, "no task id has a dash");
  const grown = overlayDesired(view, "a", [{ task: task("t9", [["front", "10.10.2.9/24"]]), netns: "shoal-t9" }]);
  assert.deepEqual(grown.attachments, [], "an address in a network's second subnet is left off, not fatal");
});

test("mesh ports: tasks on the node serve when there are some, else the service's serving tasks elsewhere over ingress", () => {
  const local = [{ protocol: "tcp" as const, publishedPort: 8080, targetPort: 80, backends: ["10.211.0.5"] }];
  assert.deepEqual(withMesh(local, view, "a"), local, "a local task keeps the client's address");
  assert.deepEqual(withMesh([], view, "a"), [
    { protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: ["10.10.0.4"] },
  ]);
  assert.deepEqual(
    withMesh([], view, "b"),
    [{ protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: [] }],
    "none elsewhere: refused",
  );
  assert.deepEqual(withMesh([], { ...view, nodeAttachments: [] }, "a"), [], "no mesh endpoint yet: no mesh rules");
});

test("DNS: <service> is the VIP, tasks.<service> and dnsrr names the serving tasks, aliases count on their network only", () => {
  const client = task("t3", [["front", "10.10.1.3/24"]]);
  assert.deepEqual(answerName(view, client, "web"), { addresses: ["10.10.1.2"], ttl: VIP_TTL });
  assert.deepEqual(
    answerName(view, client, "www"),
    { addresses: ["10.10.1.2"], ttl: VIP_TTL },
    "aliases match without case",
  );
  assert.deepEqual(answerName(view, client, "tasks.web"), { addresses: ["10.10.1.3", "10.10.1.4"], ttl: TASKS_TTL });
  assert.deepEqual(answerName(view, client, "db"), { addresses: ["10.10.1.6"], ttl: TASKS_TTL });
  assert.equal(answerName(view, client, "example.org"), undefined, "forwarded");
  assert.equal(
    answerName(view, task("x", [["other", "10.9.0.2/24"]]), "web"),
    undefined,
    "a service on none of the client's networks is not found",
  );
  assert.equal(answerName(view, undefined, "web"), undefined, "clients that are no task are forwarded");
  assert.equal(answerAddress(view, "10.10.1.2"), "web");
  assert.equal(answerAddress(view, "10.10.1.4"), "web.t4");
  assert.equal(answerAddress(view, "10.10.9.9"), undefined);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { NetworkSpecSchema, ServiceSpecSchema, type NetworkSpec, type Task } from "@shoal/api";
import type { ClusterStore } from "../store/cluster-store.js";
import { addTasks, seededStore, serviceSpec, setTaskStates } from "../testing/fixtures.js";
import { isAllocated } from "../model/networks.js";
import { allocate, FIRST_VNI } from "./allocate.js";

async function pass(store: ClusterStore): Promise<number> {
  const commands = allocate(store.state);
  await store.write(commands);
  return commands.length;
}

/** A store with the given networks (name -> spec) and services joining them (name -> network names). */
async function cluster(o: {
  pool?: string[];
  networks: [string, Partial<NetworkSpec>?][];
  services?: [string, string[]][];
}): Promise<ClusterStore> {
  const store = await seededStore({ cluster: o.pool ? { defaultAddressPool: o.pool } : {}, nodes: ["a"] });
  for (const [name, spec] of o.networks) {
    await store.write([
      {
        op: "create",
        kind: "network",
        object: { id: `net-${name}`, spec: NetworkSpecSchema.parse({ name, ...spec }), subnets: [] },
      },
    ]);
  }
  for (const [name, nets] of o.services ?? []) {
    const spec = ServiceSpecSchema.parse(
      serviceSpec(name, {
        taskTemplate: { container: { image: "busybox" }, networks: nets.map((target) => ({ target })) },
      }),
    );
    await store.write([
      { op: "create", kind: "service", object: { id: name, spec, endpoint: { ports: [], virtualIps: [] } } },
    ]);
  }
  return store;
}

const tasksOf = (store: ClusterStore, ids: readonly string[]): Task[] => ids.map((id) => store.state.get("task", id)!);
const addressesOf = (store: ClusterStore, ids: readonly string[]): string[] =>
  tasksOf(store, ids).flatMap((t) => t.networks.flatMap((n) => n.addresses));

test("networks get VXLAN ids from 4096 and /24s of the default pool in creation order; a subnet the user chose is kept", async () => {
  const store = await cluster({
    networks: [["front"], ["back"], ["mine", { subnets: [{ subnet: "192.168.7.0/24" }] }]],
  });
  await pass(store);
  const n = (name: string) => store.state.byName("network", name)!;
  assert.deepEqual([n("front").vni, n("back").vni, n("mine").vni], [FIRST_VNI, FIRST_VNI + 1, FIRST_VNI + 2]);
  assert.deepEqual(n("front").subnets, [{ subnet: "10.10.0.0/24", gateway: "10.10.0.1" }]);
  assert.deepEqual(n("back").subnets, [{ subnet: "10.10.1.0/24", gateway: "10.10.1.1" }]);
  assert.deepEqual(n("mine").subnets, [{ subnet: "192.168.7.0/24", gateway: "192.168.7.1" }]);
  assert.equal(await pass(store), 0, "a second pass changes nothing");
});

test("a service gets a VIP per network and its tasks an address each, none twice; only allocated tasks count as such", async () => {
  const store = await cluster({
    networks: [["front"], ["back"]],
    services: [
      ["web", ["front", "back"]],
      ["db", ["back"]],
    ],
  });
  const web = await addTasks(store, "web", [{ slot: 1 }, { slot: 2 }]);
  const db = await addTasks(store, "db", [{ slot: 1 }]);
  assert.ok(!isAllocated(store.state, tasksOf(store, web)[0]!));
  await pass(store);
  const vips = (s: string) => store.state.get("service", s)!.endpoint.virtualIps.map((v) => `${v.networkId}=${v.addr}`);
  assert.deepEqual(vips("web"), ["net-front=10.10.0.2/24", "net-back=10.10.1.2/24"]);
  assert.deepEqual(vips("db"), ["net-back=10.10.1.3/24"]);
  assert.deepEqual(addressesOf(store, web), ["10.10.0.3/24", "10.10.1.4/24", "10.10.0.4/24", "10.10.1.5/24"]);
  assert.deepEqual(addressesOf(store, db), ["10.10.1.6/24"]);
  for (const t of tasksOf(store, [...web, ...db])) assert.ok(isAllocated(store.state, t));
  assert.equal(await pass(store), 0);
});

test("an ended task's address is free again, and a removed network's subnet and VNI are given to the next", async () => {
  const store = await cluster({ networks: [["front"]], services: [["web", ["front"]]] });
  const [a, b] = await addTasks(store, "web", [{ slot: 1 }, { slot: 2 }]);
  await pass(store);
  const freed = addressesOf(store, [a!]);
  await setTaskStates(store, [a!], "failed");
  const [c] = await addTasks(store, "web", [{ slot: 1 }]);
  await pass(store);
  assert.deepEqual(addressesOf(store, [c!]), freed);
  assert.notDeepEqual(addressesOf(store, [c!]), addressesOf(store, [b!]));

  const front = store.state.byName("network", "front")!;
  await store.write([{ op: "delete", kind: "network", id: front.id, expectedVersion: front.version }]);
  await store.write([
    {
      op: "create",
      kind: "network",
      object: { id: "net-next", spec: NetworkSpecSchema.parse({ name: "next" }), subnets: [] },
    },
  ]);
  await pass(store);
  const next = store.state.get("network", "net-next")!;
  assert.equal(next.vni, FIRST_VNI);
  assert.deepEqual(
    next.subnets.map((s) => s.subnet),
    ["10.10.0.0/24"],
  );
});

test("a full network grows by a /24 from the pool; one whose subnet the user chose makes tasks wait and says why", async () => {
  const store = await cluster({
    pool: ["10.20.0.0/23"],
    networks: [["small"], ["fixed", { subnets: [{ subnet: "192.168.9.0/30" }] }]],
    services: [
      ["many", ["small"]],
      ["two", ["fixed"]],
    ],
  });
  // 10.20.0.0/24 holds 253 addresses besides its gateway; one is the VIP.
  const many = await addTasks(
    store,
    "many",
    Array.from({ length: 260 }, (_, i) => ({ slot: i + 1 })),
  );
  await pass(store);
  const small = store.state.byName("network", "small")!;
  assert.deepEqual(
    small.subnets.map((s) => s.subnet),
    ["10.20.0.0/24", "10.20.1.0/24"],
  );
  const all = addressesOf(store, many);
  assert.equal(new Set(all).size, 260);
  assert.ok(all.includes("10.20.1.2/24"));

  // 192.168.9.0/30: .1 is the gateway, .2 the VIP: no address left for the tasks.
  const [t] = await addTasks(store, "two", [{ slot: 1 }]);
  await pass(store);
  const waiting = store.state.get("task", t!)!;
  assert.deepEqual(waiting.networks, []);
  assert.equal(waiting.status.state, "new");
  assert.match(waiting.status.message, /waiting for an address on network fixed: its subnets are full/);
  assert.equal(await pass(store), 0, "the message is written once");
});

test("addresses taken by tasks the store already holds are never handed out, whatever order they were made in", async () => {
  const store = await cluster({ networks: [["front"]], services: [["web", ["front"]]] });
  await pass(store);
  const netId = store.state.byName("network", "front")!.id;
  await addTasks(store, "web", [
    {
      slot: 1,
      networks: [{ networkId: netId, addresses: ["10.10.0.3/24"] }],
      status: { state: "running", timestamp: new Date().toISOString(), message: "" },
    },
  ]);
  const fresh = await addTasks(store, "web", [{ slot: 2 }, { slot: 3 }]);
  await pass(store);
  assert.deepEqual(addressesOf(store, fresh), ["10.10.0.4/24", "10.10.0.5/24"]);
});

test("the scheduler places a task only once the allocator gave it its addresses", async () => {
  const { schedule } = await import("../scheduler/tick.js");
  const store = await cluster({ networks: [["front"]], services: [["web", ["front"]]] });
  const [t] = await addTasks(store, "web", [{ slot: 1 }]);
  assert.deepEqual(schedule(store.state, Date.now()), []);
  await pass(store);
  await store.write(schedule(store.state, Date.now()));
  assert.equal(store.state.get("task", t!)!.status.state, "assigned");
});

test("a service that names no network joins the cluster's default network, when there is one", async () => {
  const store = await cluster({ networks: [["default"]], services: [["plain", []]] });
  const [t] = await addTasks(store, "plain", [{ slot: 1 }]);
  await pass(store);
  const def = store.state.byName("network", "default")!;
  assert.deepEqual(store.state.get("task", t!)!.networks, [{ networkId: def.id, addresses: ["10.10.0.3/24"] }]);
  assert.deepEqual(store.state.get("service", "plain")!.endpoint.virtualIps, [
    { networkId: def.id, addr: "10.10.0.2/24" },
  ]);

  const bare = await cluster({ networks: [], services: [["plain", []]] });
  const [u] = await addTasks(bare, "plain", [{ slot: 1 }]);
  assert.equal(await pass(bare), 0);
  assert.ok(isAllocated(bare.state, bare.state.get("task", u!)!), "no network to join: nothing to wait for");
});

test("every node gets a routing-mesh address on ingress, and tasks publishing an ingress port join ingress too", async () => {
  const store = await cluster({
    networks: [["ingress", { ingress: true }], ["front"]],
    services: [["web", ["front"]]],
  });
  const port = { protocol: "tcp" as const, targetPort: 80, publishedPort: 8080 };
  const [mesh, host] = await addTasks(store, "web", [
    { slot: 1, endpoint: { ports: [{ ...port, publishMode: "ingress" }] } },
    { slot: 2, endpoint: { ports: [{ ...port, publishMode: "host" }] } },
  ]);
  await pass(store);
  const ingress = store.state.byName("network", "ingress")!;
  const node = store.state.list("node")[0]!;
  assert.deepEqual(
    node.attachments,
    [{ networkId: ingress.id, address: "10.10.0.3/24" }],
    "after the task (10.10.0.2), which was there first",
  );
  assert.deepEqual(
    tasksOf(store, [mesh!])[0]!.networks.map((n) => n.networkId),
    ["net-front", ingress.id],
  );
  assert.deepEqual(
    tasksOf(store, [host!])[0]!.networks.map((n) => n.networkId),
    ["net-front"],
    "a host-mode port needs no mesh",
  );
  assert.ok(
    !store.state.get("service", "web")!.endpoint.virtualIps.some((v) => v.networkId === ingress.id),
    "the mesh balances without a VIP",
  );
  assert.equal(await pass(store), 0, "the node keeps its address");
  await store.write([{ op: "delete", kind: "node", id: node.id }]);
  const [again] = await addTasks(store, "web", [
    { slot: 3, endpoint: { ports: [{ ...port, publishMode: "ingress" }] } },
  ]);
  await pass(store);
  assert.ok(addressesOf(store, [again!]).includes("10.10.0.3/24"), "a removed node's address is free again");
});

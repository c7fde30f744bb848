// Routes between the managers' bus servers: TLS with the managers' certificates and the route secret, which a
// manager's departure changes, so the routes of a manager that left are refused while the others come back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { updateOf } from "@shoal/store";
import { testCa } from "@shoal/trust/testing";
import { routeSecretChanges } from "../model/route-secret.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { busServer, type TestBusClient } from "../testing/bus-server.js";
import { pollUntil, seededStore } from "../testing/fixtures.js";
import { freePort } from "../testing/net.js";

/** A store whose cluster lists managers m1 and m2 (Raft ids 1 and 2) with their route ports. */
async function twoManagers(ports: [number, number]): Promise<ClusterStore> {
  const store = await seededStore({
    nodes: [
      ["m1", { role: "manager" }],
      ["m2", { role: "manager" }],
    ],
  });
  const cluster = store.state.cluster();
  assert.ok(cluster);
  const entry = (n: 1 | 2) => ({
    raftId: n,
    nodeId: `m${n}`,
    apiAddr: `127.0.0.1:${n}`,
    natsUrl: `nats://127.0.0.1:${n}`,
    raftAddr: `127.0.0.1:${n}`,
    natsRouteAddr: `127.0.0.1:${ports[n - 1]}`,
  });
  await store.write([updateOf("cluster", cluster, { managers: [entry(1), entry(2)] })]);
  return store;
}

/** Whether what `from` publishes on a fresh subject reaches `to`'s subscriber within `ms`. */
async function carries(from: TestBusClient, to: TestBusClient, ms: number): Promise<boolean> {
  const subject = `probe.${Math.random().toString(36).slice(2)}`;
  let got = false;
  const unsub = to.bus.subscribe(subject, () => (got = true));
  await to.bus.flush();
  const until = Date.now() + ms;
  while (!got && Date.now() < until) {
    from.bus.publish(subject, Buffer.from("x"));
    await new Promise((r) => setTimeout(r, 50));
  }
  unsub();
  return got;
}

const rotate = async (store: ClusterStore) => {
  const secrets = store.state.secrets();
  assert.ok(secrets);
  await store.write(routeSecretChanges(secrets, { rotate: true }, () => `s${Date.now()}`));
};

test("routes: messages cross between managers over TLS; a new route secret is reloaded and the routes come back", async (t) => {
  const ports: [number, number] = [await freePort(), await freePort()];
  const store = await twoManagers(ports);
  const s1 = await busServer(t, store, { nodeId: "m1", raftId: 1, clusterPort: ports[0] });
  const s2 = await busServer(t, store, { nodeId: "m2", raftId: 2, clusterPort: ports[1] });
  const ca = await testCa("c1");
  const c1 = await s1.connect(await ca.manager("m1"), "on m1");
  const c2 = await s2.connect(await ca.manager("m2"), "on m2");
  assert.ok(await carries(c2, c1, 10_000), "the route carries messages");

  const before = Date.now();
  await rotate(store);
  await pollUntil(() => s1.reloads.length > 0 && s2.reloads.length > 0, "both servers reloaded");
  assert.ok(await carries(c2, c1, 10_000), "the routes are back");
  t.diagnostic(`routes carried messages again ${Date.now() - before} ms after the rotation`);
  assert.deepEqual([...c1.statuses, ...c2.statuses], [], "clients kept their connections");
});

test("routes: a manager that left keeps the old secret, and its routes are refused until it has the new one", async (t) => {
  const ports: [number, number] = [await freePort(), await freePort()];
  // m2 left: it no longer receives the cluster's log, so its server keeps its own (frozen) copy of the store.
  const store = await twoManagers(ports);
  const left = await twoManagers(ports);
  const s1 = await busServer(t, store, { nodeId: "m1", raftId: 1, clusterPort: ports[0] });
  const s2 = await busServer(t, left, { nodeId: "m2", raftId: 2, clusterPort: ports[1] });
  const ca = await testCa("c1");
  const c1 = await s1.connect(await ca.manager("m1"), "on m1");
  const c2 = await s2.connect(await ca.manager("m2"), "on m2");
  assert.ok(await carries(c2, c1, 10_000), "the route carries messages");

  // What removeManager writes: m2 unlisted, its node a worker, a new route secret.
  const cluster = store.state.cluster();
  const m2 = store.state.get("node", "m2");
  assert.ok(cluster && m2);
  const secrets = store.state.secrets();
  assert.ok(secrets);
  await store.write([
    updateOf("cluster", cluster, { managers: cluster.managers.filter((m) => m.raftId !== 2) }),
    updateOf("node", m2, { spec: { ...m2.spec, role: "worker" } }),
    ...routeSecretChanges(secrets, { rotate: true }, () => "the-new-route-secret"),
  ]);
  await pollUntil(() => s1.reloads.some((r) => r.result === "reloaded"), "m1 reloaded");
  assert.equal(await carries(c2, c1, 2_500), false, "the old secret's route is refused");

  // The control: given the new secret, the same server's route is accepted again.
  const old = left.state.secrets();
  assert.ok(old);
  await left.write([updateOf("secret", old, { routeSecret: "the-new-route-secret" })]);
  assert.ok(await carries(c2, c1, 10_000), "with the new secret the route works");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { natsPermissions } from "@shoal/bus";
import { updateOf } from "@shoal/store";
import { changeNode, seededStore } from "../testing/fixtures.js";
import { busUsers, renderNatsConfig, type NatsServerSettings } from "./config.js";

const settings: NatsServerSettings = {
  name: "m1",
  listenAddr: "127.0.0.1",
  port: 7072,
  clusterPort: 7073,
  pidFile: "/run/x.pid",
  raftId: 1,
  tls: { cert: "/d/manager.crt", key: "/d/manager.key", ca: "/d/trust.pem" },
};

test("bus users: each node's agent with its own subjects, and a manager user only while the node is a manager", async () => {
  const store = await seededStore({ nodes: [["m1", { role: "manager" }], "b", "a"] });
  assert.deepEqual(
    busUsers(store.state).map((u) => u.user),
    ["shoal://c1/node/a/agent", "shoal://c1/node/b/agent", "shoal://c1/node/m1/agent", "shoal://c1/node/m1/manager"],
  );
  assert.deepEqual(busUsers(store.state)[0]?.permissions, natsPermissions("c1", "a"));
  assert.deepEqual(busUsers(store.state)[3]?.permissions, { publish: [">"], subscribe: [">"] });
  await changeNode(store, "m1", { spec: { role: "worker" } });
  await store.write([{ op: "delete", kind: "node", id: "b" }]);
  assert.deepEqual(
    busUsers(store.state).map((u) => u.user),
    ["shoal://c1/node/a/agent", "shoal://c1/node/m1/agent"],
  );
});

test("the config: mutual TLS mapped to those users, and the other managers as routes", async () => {
  const store = await seededStore({ nodes: [["m1", { role: "manager" }], "a"] });
  const cluster = store.state.cluster();
  assert.ok(cluster);
  const other = { raftId: 2, apiAddr: "10.0.0.2:7070", natsUrl: "nats://10.0.0.2:7072", raftAddr: "10.0.0.2:7071" };
  await store.write([
    updateOf("cluster", cluster, {
      managers: [
        { ...cluster.managers[0]!, natsRouteAddr: "10.0.0.1:7073" },
        { ...other, natsRouteAddr: "10.0.0.2:7073" },
      ],
    }),
  ]);
  const conf = renderNatsConfig(store.state, settings);
  assert.match(conf, /^listen: "127\.0\.0\.1:7072"$/m);
  assert.match(conf, /^pid_file: "\/run\/x\.pid"$/m);
  assert.match(
    conf,
    /^tls \{ cert_file: "\/d\/manager\.crt", key_file: "\/d\/manager\.key", ca_file: "\/d\/trust\.pem", verify_and_map: true, timeout: 2 \}$/m,
  );
  assert.doesNotMatch(conf, /authorization \{ token/);
  assert.match(
    conf,
    /^ {4}\{ user: "shoal:\/\/c1\/node\/a\/agent", permissions: \{ publish: \{ allow: \["shoal\.c1\.agent\.a\.register", /m,
  );
  assert.match(conf, /^ {4}\{ user: "shoal:\/\/c1\/node\/m1\/manager", permissions: \{ publish: \{ allow: \[">"\] \}/m);
  // Routes: mutual TLS with the same certificate, the route secret; only the other manager (not Raft id 1).
  assert.match(
    conf,
    /^ {2}tls \{ cert_file: "\/d\/manager\.crt", key_file: "\/d\/manager\.key", ca_file: "\/d\/trust\.pem", verify: true, timeout: 2 \}$/m,
  );
  assert.match(conf, /^ {2}authorization \{ user: "route", password: "route-secret" \}$/m);
  assert.match(conf, /^ {2}routes: \["nats-route:\/\/route:route-secret@10\.0\.0\.2:7073"\]$/m);
  assert.equal(renderNatsConfig(store.state, settings), conf, "the same store renders the same text");
});

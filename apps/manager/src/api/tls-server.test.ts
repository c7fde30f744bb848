// The API over HTTPS: serving the cluster's certificates, swapping them, forwarding to the leader over TLS.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { connect } from "node:tls";
import { test } from "node:test";
import { ApiError } from "@shoal/api";
import { anyManagerOf, probeClusterAnchor, rootDigest, serverTlsOptions } from "@shoal/trust";
import { newTestCa, testCa } from "@shoal/trust/testing";
import type { ManagerError } from "../errors.js";
import { api, call, error } from "../testing/api-harness.js";
import { nodeObject, serviceSpec } from "../testing/fixtures.js";
import { adminOf, apiTlsOf, CLUSTER, listen, tlsClient } from "../testing/tls-api.js";
import { ANONYMOUS, callerOf, describeCaller } from "./caller.js";
import { loadApiTls, updateTls, type ApiTls } from "./tls-server.js";

/** The serial number of the certificate a TLS server at `address` presents to a new connection. */
async function servedSerial(address: string): Promise<string> {
  const [host, port] = address.split(":") as [string, string];
  const socket = connect({ host, port: Number(port), rejectUnauthorized: false, minVersion: "TLSv1.3" });
  await once(socket, "secureConnect");
  const serial = socket.getPeerX509Certificate()?.serialNumber ?? "";
  socket.destroy();
  return serial;
}

test("with tls the API serves HTTPS: a client trusting the cluster's CA gets answers, one trusting another CA is refused", async (t) => {
  const ca = await testCa(CLUSTER);
  const a = await api(t, { tls: apiTlsOf(await ca.manager("m1")) });
  const address = await listen(a.app);

  const info = await tlsClient(t, address, { trust: ca.trust, creds: await adminOf(a, ca) }).call("info");
  assert.equal(info.clusterId, CLUSTER);

  const stranger = await newTestCa(CLUSTER);
  const refused = await tlsClient(t, address, { trust: stranger.trust })
    .call("info")
    .catch((e: unknown) => e);
  assert.ok(refused instanceof ApiError, String(refused));
  assert.equal(refused.code, "SHOAL_ERR_TLS", refused.message);
  assert.match(refused.message, /does not chain to a root of the trust bundle/);

  // A joining node's probe finds the root its token pins among the certificates the API presents.
  const [host, port] = address.split(":") as [string, string];
  const probed = await probeClusterAnchor({ host, port: Number(port), caDigest: rootDigest(ca.root.cert) });
  assert.equal(probed.clusterId, CLUSTER);
});

test("without tls the API stays plain HTTP, and its callers are who `authenticate` says (else anonymous)", async (t) => {
  const a = await api(t);
  a.app.get("/test/caller", (req) => ({ caller: describeCaller(callerOf(req)) }));
  const client = await a.client();
  assert.match(client.manager, /^http:\/\//);
  assert.equal((await client.call("info")).clusterId, CLUSTER);
  assert.deepEqual((await call(a, { method: "GET", url: "/test/caller" })).body, {
    caller: "root on manager node n1",
  });
  a.caller = ANONYMOUS;
  assert.equal((await call(a, { method: "GET", url: "/v1/info" })).status, 401);
  assert.throws(
    () => updateTls(a.app, { chain: [], key: "", trust: [] }),
    (e: ManagerError) => e.code === "SHOAL_ERR_INTERNAL" && /built without tls/.test(e.message),
  );
});

test("updateTls: new connections get the new certificate and callers are checked against the new trust", async (t) => {
  const ca = await testCa(CLUSTER);
  const first = await ca.manager("m1");
  const a = await api(t, { tls: apiTlsOf(first) });
  a.app.get("/test/caller", (req) => ({ caller: describeCaller(callerOf(req)) }));
  const address = await listen(a.app);
  assert.equal(await servedSerial(address), first.serial);

  const renewed = await ca.manager("m1");
  assert.notEqual(renewed.serial, first.serial);
  updateTls(a.app, apiTlsOf(renewed));
  assert.equal(await servedSerial(address), renewed.serial);
  const admin = await adminOf(a, ca);
  assert.equal((await tlsClient(t, address, { trust: ca.trust, creds: admin }).call("info")).clusterId, CLUSTER);

  // Bad material is refused and leaves the certificate in use alone.
  const agent = await ca.agent("n1");
  const bad: [string, ApiTls, RegExp][] = [
    [
      "an agent certificate",
      apiTlsOf(agent),
      /tls\.chain must start with a manager certificate \(.*\), not shoal:\/\/c1\/node\/n1\/agent$/,
    ],
    ["the key of another certificate", { ...apiTlsOf(renewed), key: first.key }, /tls\.key is not the key of/],
    ["no trust bundle", apiTlsOf(renewed, []), /tls\.trust holds no PEM certificate/],
    ["a chain that is not PEM", { ...apiTlsOf(renewed), chain: ["nonsense"] }, /tls\.chain holds no PEM certificate/],
  ];
  for (const [name, tls, message] of bad) {
    assert.throws(
      () => updateTls(a.app, tls),
      (e: ManagerError) => e.code === "SHOAL_ERR_INVALID_ARGUMENT" && message.test(e.message),
      name,
    );
  }
  assert.equal(await servedSerial(address), renewed.serial);

  // A root rotation's end: the API now trusts only a new root, so the old CA's certificates are refused.
  const next = await newTestCa(CLUSTER);
  const nextManager = await next.manager("m1");
  updateTls(a.app, apiTlsOf(nextManager));
  const oldAgent = tlsClient(t, address, { trust: next.trust, creds: agent });
  const e = await oldAgent.call("info").catch((err: unknown) => err);
  assert.ok(e instanceof ApiError && e.status === 401 && e.code === "SHOAL_ERR_UNAUTHENTICATED", String(e));
  const nextAdmin = await adminOf(a, next, "admin2");
  assert.equal((await tlsClient(t, address, { trust: next.trust, creds: nextAdmin }).call("info")).clusterId, CLUSTER);
});

test("a follower forwards writes to the leader over TLS, presenting its manager certificate", async (t) => {
  const ca = await testCa(CLUSTER);
  const leader = await api(t, { tls: apiTlsOf(await ca.manager("m1")) });
  const callers: string[] = [];
  leader.app.addHook("preHandler", (req, _reply, done) => {
    callers.push(describeCaller(callerOf(req)));
    done();
  });
  // m2 is a manager node: its manager certificate may forward for its callers (here root on its node).
  await leader.store.write([{ op: "create", kind: "node", object: nodeObject("m2", { role: "manager" }) }]);
  const leaderAddr = await listen(leader.app);
  const follower = await api(t, { leader: false, leaderApi: leaderAddr, tls: apiTlsOf(await ca.manager("m2")) });

  const res = await call(follower, { method: "POST", url: "/v1/services", body: serviceSpec("api") });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.ok(leader.store.state.byName("service", "api"));
  assert.equal(follower.store.state.byName("service", "api"), undefined);
  assert.equal((await call(follower, { method: "DELETE", url: "/v1/services/api" })).status, 204);
  assert.equal(leader.store.state.byName("service", "api"), undefined);
  assert.deepEqual(callers, [`shoal://${CLUSTER}/node/m2/manager`, `shoal://${CLUSTER}/node/m2/manager`]);
});

test("a follower does not forward to a 'leader' that is not a manager of its cluster: nothing is sent to it", async (t) => {
  const ca = await testCa(CLUSTER);
  const received: string[] = [];
  const impostor = createServer(
    serverTlsOptions({ ...apiTlsOf(await ca.agent("n9")), clientCertificates: "request" }),
    (req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.end("{}");
    },
  );
  impostor.listen(0, "127.0.0.1");
  await once(impostor, "listening");
  t.after(() => {
    impostor.closeAllConnections();
    impostor.close();
  });
  const leaderApi = `127.0.0.1:${(impostor.address() as AddressInfo).port}`;
  const follower = await api(t, { leader: false, leaderApi, tls: apiTlsOf(await ca.manager("m2")) });

  const e = await error(follower, { method: "POST", url: "/v1/services", body: serviceSpec("api") }, 503);
  assert.equal(e.code, "SHOAL_ERR_NO_LEADER");
  assert.match(
    e.message,
    new RegExp(
      `^the leader at ${leaderApi} failed the TLS check: its certificate names shoal://c1/node/n9/agent, expected ${anyManagerOf(CLUSTER).description.replace(/[()*/]/g, "\\$&")}`,
    ),
  );
  assert.deepEqual(received, []);
});

test("loadApiTls: the cluster callers must belong to is the one the manager certificate names", async () => {
  const ca = await testCa("c-load");
  const loaded = loadApiTls(apiTlsOf(await ca.manager("m1")));
  assert.equal(loaded.clusterId, "c-load");
  assert.equal(loaded.roots.length, 1);
});

import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import { serverTlsOptions } from "@shoal/trust";
import { newTestCa, testCa, type TestCredentials } from "@shoal/trust/testing";
import { ApiError } from "./client.js";
import { infoOf } from "./info-fixture.js";
import { trustedClient, type TrustedOptions } from "./trusted-client.js";

/**
 * An HTTPS server on 127.0.0.1 presenting `creds`: `/v1/info` names the certificate's node, `/` is a page. It
 * records the paths it is asked for; closed after the test.
 */
async function startManager(t: TestContext, creds: TestCredentials, clientCertificates: "require" | "none" = "none") {
  const received: string[] = [];
  const options = serverTlsOptions({ chain: creds.chain, key: creds.key, trust: creds.trust, clientCertificates });
  const server = createServer(options, (req, res) => {
    received.push(req.url ?? "");
    if (req.url !== "/v1/info") return res.end("<!doctype html><title>Shoal</title>");
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(infoOf(creds.identity)));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });
  return { port: (server.address() as AddressInfo).port, received };
}

/** A trusted client closed after the test. */
function client(t: TestContext, o: TrustedOptions) {
  const c = trustedClient({ timeoutMs: 10_000, ...o });
  t.after(() => c.close());
  return c;
}

test("a trusted client dials bare host:port over HTTPS and accepts a manager of the bundle's cluster at any address", async (t) => {
  const ca = await testCa("c-trusted");
  const server = await startManager(t, await ca.manager("m1"));
  const c = client(t, { managers: [`127.0.0.1:${server.port}`], trust: ca.trust.join("") });
  assert.deepEqual(c.clusterIds, ["c-trusted"]);
  assert.equal((await c.client.call("info")).nodeId, "m1");
  assert.equal(c.client.manager, `https://127.0.0.1:${server.port}`);
  // Not a name the certificate holds: the identity is what counts.
  const other = c.clientOf({ managers: [`[::ffff:127.0.0.1]:${server.port}`] });
  assert.equal((await other.call("info")).nodeId, "m1");
  const page = await c.fetch(`https://localhost:${server.port}/`);
  assert.match(await page.text(), /<title>Shoal<\/title>/);
  assert.deepEqual(server.received, ["/v1/info", "/v1/info", "/"]);
});

test("a trusted client presents its certificate to a manager that requires one", async (t) => {
  const ca = await testCa("c-trusted");
  const server = await startManager(t, await ca.manager("m1"), "require");
  const admin = await ca.user("admin");
  const managers = [`127.0.0.1:${server.port}`];
  const c = client(t, { managers, trust: ca.trust.join(""), cert: admin.chain.join(""), key: admin.key });
  assert.equal((await c.client.call("info")).nodeId, "m1");
  const anonymous = client(t, { managers, trust: ca.trust.join("") });
  await assert.rejects(anonymous.client.call("info"), { code: "SHOAL_ERR_TLS" });
  assert.deepEqual(server.received, ["/v1/info"]);
});

test("a bundle of two clusters accepts a manager of either; a server of another CA or no manager is refused unasked", async (t) => {
  const [a, b] = [await testCa("c-trusted"), await testCa("c-next")];
  const trust = [...a.trust, ...b.trust].join("");
  const cases: { name: string; creds: TestCredentials; code?: string }[] = [
    { name: "a manager of the first cluster", creds: await a.manager("m1") },
    { name: "a manager of the second cluster", creds: await b.manager("m2") },
    // Same cluster id, another CA: what a rogue server that knows the id presents.
    {
      name: "a server of another CA",
      creds: await (await newTestCa("c-trusted")).manager("m1"),
      code: "SHOAL_ERR_TLS",
    },
    {
      name: "a manager of a cluster the bundle does not name",
      creds: await (await newTestCa("c-third")).manager("m1"),
      code: "SHOAL_ERR_TLS",
    },
    { name: "an agent of the cluster", creds: await a.agent("n1"), code: "SHOAL_ERR_PEER_IDENTITY" },
  ];
  for (const c of cases) {
    const server = await startManager(t, c.creds);
    const { client: api } = client(t, { managers: [`127.0.0.1:${server.port}`], trust });
    if (c.code === undefined) {
      assert.equal((await api.call("info")).clusterId, c.creds.identity.clusterId, c.name);
      continue;
    }
    const err = await api.call("info").then(
      () => assert.fail(`${c.name}: accepted`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError, c.name);
    assert.equal(err.code, c.code, `${c.name}: ${err.message}`);
    assert.deepEqual(server.received, [], `${c.name}: the server got no request`);
  }
});

test("a trusted client refuses a bundle without a certificate, and a certificate without its key", async () => {
  const ca = await testCa("c-trusted");
  const refused: [string, TrustedOptions, RegExp][] = [
    ["an empty bundle", { managers: ["m:7070"], trust: "" }, /trust: holds no PEM certificate/],
    [
      "a malformed block",
      { managers: ["m:7070"], trust: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n" },
      /trust: holds no PEM certificate/,
    ],
    [
      "a certificate without its key",
      { managers: ["m:7070"], trust: ca.trust.join(""), cert: (await ca.user("u")).cert },
      /key: a client certificate and its key go together/,
    ],
  ];
  for (const [name, o, message] of refused)
    assert.throws(() => trustedClient(o), { code: "SHOAL_ERR_INVALID_ARGUMENT", message }, name);
});

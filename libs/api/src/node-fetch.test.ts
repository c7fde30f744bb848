import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type ServerOptions } from "node:https";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { anyManagerOf, serverTlsOptions, TRUST_ERRORS } from "@shoal/trust";
import { newTestCa, testCa, type TestCredentials } from "@shoal/trust/testing";
import { ApiError, ShoalClient } from "./client.js";
import { infoOf } from "./info-fixture.js";
import { createTlsFetch, readTlsFetchOptions, type TlsFetchOptions } from "./node-fetch.js";

const CLUSTER = "c-api";
const TOKEN = "SHLTKN-1-secret-that-must-not-leak";
const HOUR = 60 * 60 * 1000;

/** A request a server received: method, path and body. */
interface Received {
  method: string;
  url: string;
  body: string;
}

/**
 * An HTTPS server on 127.0.0.1 presenting `creds`, answering `/v1/info` and `/v1/cluster/join`, recording every
 * request it gets; `/v1/events` sends one event, then the second only once `next` is called. Closed after the test.
 */
async function startServer(
  t: TestContext,
  creds: TestCredentials,
  clientCertificates: "require" | "request" | "none" = "none",
) {
  const received: Received[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const options: ServerOptions = serverTlsOptions({
    chain: creds.chain,
    key: creds.key,
    trust: creds.trust,
    clientCertificates,
  });
  const server = createServer(options, (req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push({ method: req.method ?? "", url: req.url ?? "", body });
      if (req.url === "/v1/events") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write(`data: ${JSON.stringify({ index: 1, op: "create", kind: "node", id: "n1", object: {} })}\n\n`);
        void released.then(() => {
          res.end(`data: ${JSON.stringify({ index: 2, op: "update", kind: "node", id: "n1", object: {} })}\n\n`);
        });
        return;
      }
      res.setHeader("content-type", "application/json");
      if (req.url === "/v1/cluster/join")
        return res.end(
          JSON.stringify({
            clusterId: CLUSTER,
            nodeId: "n1",
            role: "worker",
            certificate: "",
            trust: "",
            natsUrls: ["nats://x"],
            managers: ["m"],
            time: new Date().toISOString(),
          }),
        );
      res.end(JSON.stringify(infoOf(creds.identity)));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    release();
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  });
  return { port: (server.address() as AddressInfo).port, received, next: release };
}

/** A ShoalClient over a TLS fetch built from `o`; the fetch's connections are closed after the test. */
function tlsClient(t: TestContext, managers: string[], o: Omit<TlsFetchOptions, "expect"> & Partial<TlsFetchOptions>) {
  const tls = createTlsFetch({ expect: anyManagerOf(CLUSTER), ...o });
  t.after(() => tls.close());
  return new ShoalClient({ managers, fetch: tls.fetch, timeoutMs: 10_000 });
}

/** A port on 127.0.0.1 that nothing listens on (one just released). */
async function freePort(): Promise<number> {
  const server = createNetServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

const trustOf = (...bundles: (readonly string[])[]) => bundles.flat().join("");
const JOIN_BODY = { token: TOKEN, csr: "a CSR" };
const sendToken = (client: ShoalClient) => client.call("clusterJoin", { body: JOIN_BODY });

test("a client over the TLS fetch reaches a manager of its cluster by identity, whatever address it dials", async (t) => {
  const ca = await testCa(CLUSTER);
  const server = await startServer(t, await ca.manager("m1"));
  // The certificate names 127.0.0.1 and localhost, not ::ffff:127.0.0.1: a host name check refuses that one.
  for (const host of ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"]) {
    const client = tlsClient(t, [`https://${host}:${server.port}`], { trust: trustOf(ca.trust) });
    assert.equal((await client.call("info")).nodeId, "m1", host);
    assert.equal((await sendToken(client)).clusterId, CLUSTER, host);
  }
  assert.deepEqual(
    server.received.filter((r) => r.method === "POST").map((r) => r.body),
    [1, 2, 3].map(() => JSON.stringify(JOIN_BODY)),
    "the server records what it gets",
  );
});

test("a server that is not a manager of the cluster, or not of its CA, or expired, is refused before it gets a byte", async (t) => {
  // A refusal must only reject the call: node:test fails a test on an uncaught exception during it.
  const ca = await testCa(CLUSTER);
  const other = await testCa("c-other");
  const stranger = await newTestCa(CLUSTER);
  const cases: { name: string; creds: TestCredentials; trust: string; code: string; message: RegExp }[] = [
    {
      name: "an agent",
      creds: await ca.agent("n1"),
      trust: trustOf(ca.trust),
      code: "SHOAL_ERR_PEER_IDENTITY",
      message: /names shoal:\/\/c-api\/node\/n1\/agent, expected any manager of cluster c-api/,
    },
    {
      name: "a manager of another cluster, whose root the client also trusts",
      creds: await other.manager("m1"),
      trust: trustOf(ca.trust, other.trust),
      code: "SHOAL_ERR_PEER_IDENTITY",
      message: /names shoal:\/\/c-other\/node\/m1\/manager, expected any manager of cluster c-api/,
    },
    {
      name: "a manager certificate of another CA",
      creds: await stranger.manager("m1"),
      trust: trustOf(ca.trust),
      code: "SHOAL_ERR_TLS",
      message: /its certificate does not chain to a root of the trust bundle \([A-Z_]+: /,
    },
    {
      name: "an expired manager certificate",
      creds: await ca.manager("m1", [], { now: new Date(Date.now() - 2 * 24 * HOUR), validityMs: HOUR }),
      trust: trustOf(ca.trust),
      code: "SHOAL_ERR_TLS",
      message: /its certificate has expired/,
    },
  ];
  for (const c of cases) {
    const server = await startServer(t, c.creds);
    const base = `https://127.0.0.1:${server.port}`;
    const client = tlsClient(t, [base], { trust: c.trust });
    const err = await sendToken(client).then(
      () => assert.fail(`${c.name}: accepted`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApiError, c.name);
    assert.equal(err.code, c.code, `${c.name}: ${err.message}`);
    assert.equal(err.status, 502, c.name);
    assert.match(err.message, new RegExp(`^client: TLS with the manager at ${base} failed: `), c.name);
    assert.match(err.message, c.message, c.name);
    assert.ok(err.hint, c.name);
    assert.deepEqual(server.received, [], `${c.name}: the server got no request`);
  }
  assert.equal(TRUST_ERRORS.SHOAL_ERR_PEER_IDENTITY.status, 502, "the client's status for the code is the registry's");
});

test("a server requiring a client certificate answers a client that has one, and refuses one without, clearly", async (t) => {
  const ca = await testCa(CLUSTER);
  const server = await startServer(t, await ca.manager("m1"), "require");
  const base = `https://127.0.0.1:${server.port}`;
  const user = await ca.user("admin");
  const withCert = tlsClient(t, [base], { trust: trustOf(ca.trust), cert: user.chain.join(""), key: user.key });
  assert.equal((await withCert.call("info")).nodeId, "m1");
  assert.equal(server.received.length, 1);

  const without = tlsClient(t, [base], { trust: trustOf(ca.trust) });
  await assert.rejects(sendToken(without), (e: ApiError) => {
    assert.equal(e.code, "SHOAL_ERR_TLS");
    assert.match(
      e.message,
      new RegExp(`manager at ${base} failed: it requires a client certificate and none was given`),
    );
    assert.match(e.hint ?? "", /certificate and key/);
    return true;
  });
  // NB: a Node server refusing a certificate of an unknown CA closes without a TLS alert: the client can only
  // tell that the connection closed (see createTlsFetch).
  const foreign = await (await newTestCa(CLUSTER)).user("admin");
  const wrongCert = tlsClient(t, [base], { trust: trustOf(ca.trust), cert: foreign.cert, key: foreign.key });
  await assert.rejects(sendToken(wrongCert), { code: "SHOAL_ERR_UNREACHABLE" });
  assert.equal(server.received.length, 1, "neither refused client's request reached the server");
});

test("failover: a manager failing its TLS check is skipped for the next; when none answers, the error says TLS", async (t) => {
  const ca = await testCa(CLUSTER);
  const rogue = await startServer(t, await ca.agent("n1"));
  const good = await startServer(t, await ca.manager("m2"));
  const [rogueBase, goodBase] = [rogue.port, good.port].map((p) => `https://127.0.0.1:${p}`) as [string, string];
  const client = tlsClient(t, [rogueBase, goodBase], { trust: trustOf(ca.trust) });
  assert.equal((await sendToken(client)).clusterId, CLUSTER);
  assert.equal(client.manager, goodBase);
  assert.equal(rogue.received.length, 0);
  assert.equal(good.received.length, 1);

  const expired = await startServer(
    t,
    await ca.manager("m3", [], { now: new Date(Date.now() - 2 * 24 * HOUR), validityMs: HOUR }),
  );
  const expiredBase = `https://127.0.0.1:${expired.port}`;
  const downBase = `https://127.0.0.1:${await freePort()}`;
  const none = tlsClient(t, [rogueBase, expiredBase, downBase], { trust: trustOf(ca.trust) });
  await assert.rejects(none.call("info"), (e: ApiError) => {
    assert.equal(e.code, "SHOAL_ERR_TLS", e.message);
    assert.match(e.message, new RegExp(`${rogueBase}: its certificate names shoal://${CLUSTER}/node/n1/agent`));
    assert.match(e.message, new RegExp(`${expiredBase}: its certificate has expired`));
    assert.match(e.message, new RegExp(`${downBase}: unreachable \\(.*ECONNREFUSED`));
    return true;
  });
  assert.equal(expired.received.length + rogue.received.length, 0);
});

test("streams work through the TLS fetch: each event arrives before the server sends the next", async (t) => {
  const ca = await testCa(CLUSTER);
  const server = await startServer(t, await ca.manager("m1"));
  const client = tlsClient(t, [`https://127.0.0.1:${server.port}`], { trust: trustOf(ca.trust) });
  const seen: number[] = [];
  // A transport that buffered the whole answer would stall here; the timeout ends the stream, failing the test.
  for await (const event of client.stream("events", {}, AbortSignal.timeout(10_000))) {
    seen.push(event.index);
    // The server sends the second event only now.
    if (event.index === 1) server.next();
  }
  assert.deepEqual(seen, [1, 2]);
});

test("readTlsFetchOptions reads the bundle, certificate and key, and names the file that is missing", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-tls-fetch-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ca = await testCa(CLUSTER);
  const user = await ca.user("admin");
  const files = { ca: join(dir, "ca.pem"), cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
  const expect = anyManagerOf(CLUSTER);
  await assert.rejects(readTlsFetchOptions({ ...files, expect }), (e: Error & { code?: string }) => {
    assert.equal(e.code, "SHOAL_ERR_CERT_FILES");
    assert.match(e.message, new RegExp(`${files.ca}: is missing or unreadable`));
    return true;
  });
  await writeFile(files.ca, "not a certificate\n");
  await assert.rejects(readTlsFetchOptions({ ...files, expect }), new RegExp(`${files.ca}: holds no PEM certificate`));
  await writeFile(files.ca, trustOf(ca.trust));
  await assert.rejects(
    readTlsFetchOptions({ ...files, expect }),
    new RegExp(`${files.cert}: is missing or unreadable`),
  );
  await writeFile(files.cert, user.chain.join(""));
  await assert.rejects(readTlsFetchOptions({ ...files, expect }), new RegExp(`${files.key}: is missing or unreadable`));
  await writeFile(files.key, user.key);
  await assert.rejects(readTlsFetchOptions({ ca: files.ca, cert: files.cert, expect }), {
    code: "SHOAL_ERR_INVALID_ARGUMENT",
  });

  const server = await startServer(t, await ca.manager("m1"), "require");
  const tls = createTlsFetch(await readTlsFetchOptions({ ...files, expect }));
  t.after(() => tls.close());
  const client = new ShoalClient({ managers: [`https://127.0.0.1:${server.port}`], fetch: tls.fetch });
  assert.equal((await client.call("info")).nodeId, "m1");
});

test("createTlsFetch refuses a trust bundle without a certificate and a certificate without its key", () => {
  assert.throws(() => createTlsFetch({ trust: "", expect: anyManagerOf(CLUSTER) }), /trust: holds no PEM certificate/);
  assert.throws(
    () =>
      createTlsFetch({
        trust: "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n",
        cert: "x",
        expect: anyManagerOf(CLUSTER),
      }),
    /cert: holds no PEM certificate; key: a client certificate and its key go together/,
  );
});

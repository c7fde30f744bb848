import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { ApiError } from "@shoal/api";
import { newTestCa, testCa, type TestCa, type TestCredentials } from "@shoal/trust/testing";
import { parseArgs } from "./args/parser.js";
import { contextFile, Context, GLOBAL_OPTIONS } from "./context.js";
import { main } from "./main.js";
import { captureIo, FakeServer } from "./testing/fake-server.js";
import { makeService, withStatus } from "./testing/objects.js";

const CLUSTER = "c-cli";

let ca: TestCa;
let dir: string;
/** An empty data dir: no context file, no trust bundle of the node. */
let empty: string;
/** The admin bundle: ca.pem, cert.pem, key.pem. */
let admin: string;
let manager: FakeServer;
let host: string;

/** A fake manager over HTTPS presenting `creds`, answering `service ls`; closed after the test (or the file). */
async function serve(creds: TestCredentials, t?: TestContext): Promise<{ api: FakeServer; host: string }> {
  const api = new FakeServer({ tls: { chain: creds.chain, key: creds.key, trust: ca.trust } });
  api.on("GET", "/v1/services", () => ({
    status: 200,
    json: [withStatus(makeService({ id: "svc1", name: "web" }), 3, 3)],
    headers: { "x-shoal-managers": `${addr},127.0.0.1:1` },
  }));
  const addr = await api.listen();
  t?.after(() => api.close());
  return { api, host: addr };
}

before(async () => {
  ca = await testCa(CLUSTER);
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-tls-"));
  empty = join(dir, "empty");
  admin = join(dir, "admin");
  mkdirSync(empty);
  mkdirSync(admin);
  const user = await ca.user("admin");
  writeFileSync(join(admin, "ca.pem"), ca.trust.join(""));
  writeFileSync(join(admin, "cert.pem"), user.chain.join(""));
  writeFileSync(join(admin, "key.pem"), user.key);
  ({ api: manager, host } = await serve(await ca.manager("m1", ["127.0.0.1"])));
});

after(async () => {
  await manager.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI with `env`; `--data-dir` is an empty directory unless the command line gives one. */
async function run(argv: string[], env: Record<string, string> = {}) {
  const io = captureIo({ env });
  const code = await main(argv.includes("--data-dir") ? argv : [...argv, "--data-dir", empty], io);
  return { code, out: io.out(), err: io.err() };
}

/** The identity of the client certificate the last request presented, if any. */
const lastPeer = (api: FakeServer = manager) => api.received.at(-1)?.peer;

/** Fails unless `p` settles within `ms` (for events that, when a bug holds them back, would never come). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms).unref()),
  ]);
}

test("with --tls-ca the CLI talks HTTPS to a manager of the cluster, and closes its connections when done", async () => {
  const r = await run(["service", "ls", "--host", host, "--tls-ca", join(admin, "ca.pem")]);
  assert.equal(r.err, "");
  assert.equal(r.code, 0);
  assert.match(r.out, /^ID +NAME +MODE +REPLICAS[^]*\bweb +replicated +3\/3 /);
  assert.equal(lastPeer(), undefined, "no client certificate was given");
  // Kept-alive connections would hold the process for seconds after its output (undici keeps them 4 s).
  await within(manager.idle(), 1_000, "the CLI closes its TLS connections when the command ends");
});

test("with --tls-cert and --tls-key the CLI presents its certificate to the manager", async () => {
  const r = await run([
    "service",
    "ls",
    "--host",
    host,
    "--tls-ca",
    join(admin, "ca.pem"),
    "--tls-cert",
    join(admin, "cert.pem"),
    "--tls-key",
    join(admin, "key.pem"),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(lastPeer(), `shoal://${CLUSTER}/user/admin`);
});

test("SHOAL_CERT_PATH names a directory with ca.pem, cert.pem and key.pem, as DOCKER_CERT_PATH does", async () => {
  const r = await run(["service", "ls", "--host", host], { SHOAL_CERT_PATH: admin });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\bweb\b/);
  assert.equal(lastPeer(), `shoal://${CLUSTER}/user/admin`);
});

test("the context file's tls paths are used without flags, and kept when the CLI remembers the managers", async (t) => {
  const data = mkdtempSync(join(dir, "ctx-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  const tls = { ca: join(admin, "ca.pem"), cert: join(admin, "cert.pem"), key: join(admin, "key.pem") };
  writeFileSync(contextFile(data), JSON.stringify({ managers: [host], tls }));
  const r = await run(["service", "ls", "--data-dir", data]);
  assert.equal(r.code, 0, r.err);
  assert.equal(lastPeer(), `shoal://${CLUSTER}/user/admin`);
  assert.deepEqual(JSON.parse(readFileSync(contextFile(data), "utf8")), { managers: [host, "127.0.0.1:1"], tls });
});

test("on a node, the CLI trusts the node's own trust bundle <data-dir>/certificates/trust.pem", async (t) => {
  const data = mkdtempSync(join(dir, "node-"));
  t.after(() => rmSync(data, { recursive: true, force: true }));
  mkdirSync(join(data, "certificates"));
  writeFileSync(join(data, "certificates", "trust.pem"), ca.trust.join(""));
  const r = await run(["service", "ls", "--host", host, "--data-dir", data]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /\bweb\b/);
});

/** The error a client of the CLI's context gets from the manager at `addr` (its code, which the CLI does not print). */
async function clientError(addr: string): Promise<ApiError> {
  const args = parseArgs(["--host", addr, "--tls-ca", join(admin, "ca.pem")], { options: GLOBAL_OPTIONS }, "x");
  const ctx = new Context(captureIo(), args);
  try {
    await ctx.client.call("serviceList");
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  } finally {
    await ctx.close();
  }
  assert.fail(`the manager at ${addr} was accepted`);
}

test("a manager whose certificate is of another CA is refused before it gets a request, naming TLS", async (t) => {
  const rogue = await serve(await (await newTestCa(CLUSTER)).manager("m1", ["127.0.0.1"]), t);
  const r = await run(["service", "ls", "--host", rogue.host, "--tls-ca", join(admin, "ca.pem")]);
  assert.equal(r.code, 1);
  assert.ok(
    r.err.startsWith(
      `Error: client: TLS with the manager at https://${rogue.host} failed: its certificate does not chain to a root of the trust bundle`,
    ),
    r.err,
  );
  assert.match(r.err, /\nhint: check the address and the trust bundle/);
  assert.equal((await clientError(rogue.host)).code, "SHOAL_ERR_TLS");
  assert.deepEqual(rogue.api.received, [], "nothing was sent to it");
});

test("a process of the cluster that is not a manager (an agent) is refused as SHOAL_ERR_PEER_IDENTITY", async (t) => {
  const agent = await serve(await ca.agent("n1"), t);
  const r = await run(["service", "ls", "--host", agent.host, "--tls-ca", join(admin, "ca.pem")]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    new RegExp(
      `^Error: client: TLS with the manager at https://${agent.host} failed: its certificate names shoal://${CLUSTER}/node/n1/agent, expected any manager of cluster ${CLUSTER}`,
    ),
  );
  assert.equal((await clientError(agent.host)).code, "SHOAL_ERR_PEER_IDENTITY");
  assert.deepEqual(agent.api.received, []);
});

test("--tls-cert without --tls-key is a usage error; a file that cannot be read is named", async () => {
  const half = await run(["service", "ls", "--host", host, "--tls-cert", join(admin, "cert.pem")]);
  assert.equal(half.code, 2);
  assert.equal(
    half.err,
    "Error: --tls-cert needs --tls-key: a client certificate goes with its private key\nSee 'shoal service ls --help'.\n",
  );
  const missing = join(admin, "nope.pem");
  const unreadable = await run(["service", "ls", "--host", host, "--tls-ca", missing]);
  assert.equal(unreadable.code, 1);
  assert.ok(
    unreadable.err.startsWith(`Error: the trust bundle ${missing} (--tls-ca) cannot be read (no such file)\nhint: `),
    unreadable.err,
  );
});

test("without credentials the CLI speaks plain HTTP as before", async (t) => {
  const plain = new FakeServer().on("GET", "/v1/services", () => ({ status: 200, json: [] }));
  const addr = await plain.listen();
  t.after(() => plain.close());
  const r = await run(["service", "ls", "--host", addr]);
  assert.equal(r.code, 0, r.err);
  assert.equal(plain.received.length, 1);
});

test("every command's help lists the TLS flags", async () => {
  const r = await run(["service", "ls", "--help"]);
  assert.match(r.out, /\n {6}--tls-ca FILE +Trust bundle \(PEM\)[^\n]*SHOAL_CERT_PATH/);
  assert.match(r.out, /\n {6}--tls-cert FILE +Client certificate chain/);
  assert.match(r.out, /\n {6}--tls-key FILE +Private key \(PEM\) of --tls-cert/);
});

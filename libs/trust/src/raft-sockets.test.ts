import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, createConnection, type Server, type Socket } from "node:net";
import { type Duplex, PassThrough } from "node:stream";
import { test, type TestContext } from "node:test";
import { peerIdentity, tlsSockets, type RaftTlsSockets } from "./raft-sockets.js";
import { newTestCa, testCa, type TestCredentials } from "./testing/index.js";

/** Raft ids 1-3 are the managers of nodes n1-n3. */
const MEMBERS = new Map([
  [1, "n1"],
  [2, "n2"],
  [3, "n3"],
]);

function sockets(creds: TestCredentials | undefined, onRefused: (reason: string) => void = () => {}): RaftTlsSockets {
  return tlsSockets({ clusterId: "c-test", material: creds, handshakeTimeoutMs: 2_000, onRefused });
}

/** The first refusal a listener reports, and the callback to give it. */
function firstRefusal(): { onRefused: (reason: string) => void; reason: Promise<string> } {
  let onRefused: (reason: string) => void = () => {};
  const reason = new Promise<string>((resolve) => (onRefused = resolve));
  return { onRefused, reason: Promise.race([reason, timeout(5_000, "a refusal")]) };
}

function timeout(ms: number, what: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms).unref());
}

/** A listener of `factory` on 127.0.0.1, recording the sockets handed over; closed after the test. */
async function listen(t: TestContext, factory: RaftTlsSockets) {
  const handed: Duplex[] = [];
  const server: Server = factory.createServer((socket) => {
    handed.push(socket);
    socket.on("error", () => {});
    socket.write("ok\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    for (const s of handed) s.destroy();
    if (server.listening) await new Promise((r) => server.close(r));
  });
  return { server, handed, port: (server.address() as AddressInfo).port };
}

/** A plain TCP connection to the listener, destroyed after the test. */
function plainConnection(t: TestContext, port: number): Socket {
  const socket = createConnection(port, "127.0.0.1");
  socket.on("error", () => {});
  t.after(() => void socket.destroy());
  return socket;
}

/** Dials Raft member `peerId` (of {@link MEMBERS}) with `factory`; resolves with the first line read or the failure. */
function dial(t: TestContext, factory: RaftTlsSockets, port: number, peerId?: number) {
  const peer = peerId === undefined ? undefined : { raftId: peerId, nodeId: MEMBERS.get(peerId) };
  const socket = factory.connect("127.0.0.1", port, peer);
  t.after(() => void socket.destroy());
  return new Promise<{ socket: Duplex; line?: string; error?: string }>((resolve) => {
    socket.once("data", (d: Buffer) => resolve({ socket, line: d.toString().trim() }));
    socket.once("error", (e: Error) => resolve({ socket, error: e.message }));
    socket.once("close", () => resolve({ socket, error: "closed" }));
  });
}

test("a manager dialing member 2 reaches the manager of n2; both sides read the other's identity", async (t) => {
  const ca = await testCa();
  const listener = await listen(t, sockets(await ca.manager("n2")));
  const out = await dial(t, sockets(await ca.manager("n1")), listener.port, 2);
  assert.equal(out.line, "ok");
  assert.deepEqual(peerIdentity(out.socket), { kind: "manager", clusterId: "c-test", nodeId: "n2" });
  const [accepted] = listener.handed;
  assert.ok(accepted);
  assert.deepEqual(peerIdentity(accepted), { kind: "manager", clusterId: "c-test", nodeId: "n1" });
});

test("peerIdentity gives the transport the node id of a verified manager certificate, and nothing otherwise", async (t) => {
  const ca = await testCa();
  const n2 = sockets(await ca.manager("n2"));
  const listener = await listen(t, n2);
  await dial(t, sockets(await ca.manager("n1")), listener.port, 2);
  const [accepted] = listener.handed;
  assert.ok(accepted);
  assert.equal(n2.peerIdentity(accepted), "n1");
  assert.equal(n2.peerIdentity(new PassThrough()), undefined);
});

test("update: without material nothing connects; new material serves new connections, with the new trust", async (t) => {
  const ca = await testCa();
  const refused = firstRefusal();
  const empty = sockets(undefined, refused.onRefused);
  const listener = await listen(t, empty);
  const n1 = sockets(await ca.manager("n1"));
  assert.ok((await dial(t, n1, listener.port, 2)).error, "a listener without a certificate completes no handshake");
  assert.ok(await refused.reason);
  assert.throws(() => empty.connect("127.0.0.1", listener.port, { raftId: 1, nodeId: "n1" }), /no certificate/);

  empty.update(await ca.manager("n2"));
  assert.equal((await dial(t, n1, listener.port, 2)).line, "ok");

  // A new CA: the listener's new trust refuses the old dialer and takes one with the new material.
  const next = await newTestCa("c-test");
  empty.update(await next.manager("n2"));
  assert.equal((await dial(t, n1, listener.port, 2)).line, undefined);
  n1.update(await next.manager("n1"));
  assert.equal((await dial(t, n1, listener.port, 2)).line, "ok");
  assert.equal(listener.handed.length, 2);
});

test("plain TCP bytes (a Hello, a 16 MiB frame header) are closed by TLS and never reach the transport", async (t) => {
  const ca = await testCa();
  const refused = firstRefusal();
  const listener = await listen(t, sockets(await ca.manager("n2"), refused.onRefused));
  const raw = plainConnection(t, listener.port);
  const hello = Buffer.from([20, 0, 0, 0, 1, 0x53, 0x48, 0x52, 0x54, 1, 6, ...Buffer.from("c-test"), 1, 2, 0]);
  raw.write(Buffer.concat([hello, Buffer.from([0x00, 0x00, 0x00, 0x01, 2])]));
  await once(raw, "close");
  assert.match(await refused.reason, /wrong version number|unknown protocol|packet length/i, "refused by TLS");
  assert.equal(listener.handed.length, 0, "onConnection was never called");
});

test("a connection that never completes its TLS handshake is closed after the timeout; close() does not wait", async (t) => {
  const ca = await testCa();
  const refused = firstRefusal();
  const listener = await listen(t, sockets(await ca.manager("n2"), refused.onRefused));
  const idle = plainConnection(t, listener.port);
  await once(idle, "close");
  assert.match(await refused.reason, /timeout|timed out/i);
  await once(plainConnection(t, listener.port), "connect");
  const started = Date.now();
  await new Promise((r) => listener.server.close(r));
  assert.ok(Date.now() - started < 1_000, "close() dropped the connection still in its handshake");
  assert.equal(listener.handed.length, 0);
});

const refusedPeers: { name: string; creds: () => Promise<TestCredentials>; reason: RegExp }[] = [
  {
    name: "an agent certificate of the cluster",
    creds: async () => (await testCa()).agent("n1"),
    reason: /names shoal:\/\/c-test\/node\/n1\/agent, not a manager/,
  },
  {
    name: "a manager certificate of another cluster signed by the same CA",
    creds: async () => (await testCa()).issue({ kind: "manager", clusterId: "c-other", nodeId: "n1" }),
    reason: /names shoal:\/\/c-other\/node\/n1\/manager, not a manager of cluster c-test/,
  },
  {
    name: "a manager certificate of another CA",
    creds: async () => (await newTestCa("c-test")).manager("n1"),
    reason: /client certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to (get|verify)/i,
  },
  { name: "a user certificate", creds: async () => (await testCa()).user("alice"), reason: /user\/alice/ },
];
for (const c of refusedPeers) {
  test(`the listener refuses ${c.name} before the transport sees the connection`, async (t) => {
    const ca = await testCa();
    const refused = firstRefusal();
    const listener = await listen(t, sockets(await ca.manager("n2"), refused.onRefused));
    const creds = await c.creds();
    // Dialed with the same CA's trust, so that only the listener's check can refuse.
    const out = await dial(t, sockets({ ...creds, trust: ca.trust }), listener.port, 2);
    assert.equal(out.line, undefined, "no application byte came back");
    assert.match(await refused.reason, c.reason);
    assert.equal(listener.handed.length, 0);
  });
}

test("the dialer refuses a listener that presents another member's identity, without an uncaught exception", async (t) => {
  const ca = await testCa();
  const uncaught: Error[] = [];
  const onUncaught = (e: Error) => uncaught.push(e);
  process.on("uncaughtException", onUncaught);
  t.after(() => process.off("uncaughtException", onUncaught));
  // n3's manager listens where member 2 is expected.
  const listener = await listen(t, sockets(await ca.manager("n3")));
  const dialer = sockets(await ca.manager("n1"));
  const out = await dial(t, dialer, listener.port, 2);
  assert.match(out.error ?? "", /is shoal:\/\/c-test\/node\/n3\/manager, expected shoal:\/\/c-test\/node\/n2\/manager/);
  // A Raft id the membership does not know matches nobody, and a dial without an id is refused too.
  assert.match((await dial(t, dialer, listener.port, 9)).error ?? "", /nobody/);
  assert.match((await dial(t, dialer, listener.port)).error ?? "", /nobody/);
  assert.deepEqual(uncaught, []);
});

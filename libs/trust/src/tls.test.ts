import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import type { AddressInfo } from "node:net";
import { test, type TestContext } from "node:test";
import { connect, createServer, type ConnectionOptions, type Server, type TLSSocket, type TlsOptions } from "node:tls";
import { verifyChain } from "./chain.js";
import { CaMismatchError, PeerIdentityError, ProbeFailedError } from "./errors.js";
import { anyManagerOf, managerOfNode } from "./identity.js";
import { parseCertificates } from "./pem.js";
import { newTestCa, testCa, type TestCredentials } from "./testing/index.js";
import {
  authorizedPeerIdentity,
  clientTlsOptions,
  presentedChain,
  probeClusterAnchor,
  serverTlsOptions,
} from "./tls.js";
import { rootDigest } from "./token.js";

/** A TLS server on 127.0.0.1 that records, per connection, the application bytes it received; closed after the test. */
async function startServer(t: TestContext, options: TlsOptions) {
  const received: number[] = [];
  const clientErrors: Error[] = [];
  const peers: TLSSocket[] = [];
  const sockets = new Set<TLSSocket>();
  const events = new EventEmitter();
  const server: Server = createServer(options, (socket) => {
    const i = received.push(0) - 1;
    peers.push(socket);
    events.emit("peer", socket);
    sockets.add(socket);
    socket.on("data", (d: Buffer) => (received[i]! += d.length));
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.write("hello\n");
  });
  server.on("tlsClientError", (err) => clientErrors.push(err));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await once(server, "close");
  });
  /** The next connection whose handshake the server completed (or the first, if it happened already). */
  const nextPeer = async (): Promise<TLSSocket> =>
    peers[0] ?? ((await once(events, "peer", { signal: AbortSignal.timeout(5_000) })) as [TLSSocket])[0];
  return { port: (server.address() as AddressInfo).port, received, clientErrors, peers, nextPeer };
}

/** Connects and waits for the first line from the server, or the connection's failure. */
async function dial(
  t: TestContext,
  port: number,
  options: ConnectionOptions,
): Promise<{ socket: TLSSocket; line?: string; error?: Error }> {
  const socket = connect({ host: "127.0.0.1", port, ...options });
  t.after(() => {
    socket.destroy();
  });
  return new Promise((resolve) => {
    socket.once("data", (d: Buffer) => resolve({ socket, line: d.toString().trim() }));
    socket.once("error", (error: Error) => resolve({ socket, error }));
    socket.once("close", () => resolve({ socket, error: new Error("closed") }));
  });
}

/** Records uncaught exceptions during a test (there must be none: a refused identity is an error event). */
function watchUncaught(t: TestContext): Error[] {
  const seen: Error[] = [];
  const handler = (e: Error) => seen.push(e);
  process.on("uncaughtException", handler);
  t.after(() => process.off("uncaughtException", handler));
  return seen;
}

const server = (c: TestCredentials, clientCertificates: "require" | "request" | "none") =>
  serverTlsOptions({ chain: c.chain, key: c.key, trust: c.trust, clientCertificates });

test("a client expecting any manager of the cluster connects to a manager over TLS 1.3 by identity, not host name", async (t) => {
  const ca = await testCa();
  const mgr = await ca.manager("n1", ["10.99.0.1"]);
  const { port } = await startServer(t, server(mgr, "none"));
  const r = await dial(t, port, {
    ...clientTlsOptions({ trust: ca.trust, expect: anyManagerOf("c-test") }),
    servername: "not-a-name-it-has",
  });
  assert.equal(r.error, undefined);
  assert.equal(r.line, "hello");
  assert.equal(r.socket.getProtocol(), "TLSv1.3");
  const exact = await dial(t, port, clientTlsOptions({ trust: ca.trust, expect: managerOfNode("c-test", "n1") }));
  assert.equal(exact.line, "hello");
});

test("a server with an agent certificate where a manager is expected: refused with the identity error, nothing thrown", async (t) => {
  const uncaught = watchUncaught(t);
  const ca = await testCa();
  const agent = await ca.agent("n1");
  const { port } = await startServer(t, server(agent, "none"));
  const r = await dial(t, port, clientTlsOptions({ trust: ca.trust, expect: anyManagerOf("c-test") }));
  assert.ok(r.error instanceof PeerIdentityError, String(r.error));
  assert.equal(r.error.code, "SHOAL_ERR_PEER_IDENTITY");
  assert.equal(r.error.presented, "shoal://c-test/node/n1/agent");
  assert.match(r.error.expected, /any manager of cluster c-test/);
  assert.match(r.error.message, /is shoal:\/\/c-test\/node\/n1\/agent, expected any manager of cluster c-test/);
  // Another node's manager is refused the same way.
  const other = await ca.manager("n2");
  const s2 = await startServer(t, server(other, "none"));
  const r2 = await dial(t, s2.port, clientTlsOptions({ trust: ca.trust, expect: managerOfNode("c-test", "n1") }));
  assert.ok(r2.error instanceof PeerIdentityError);
  assert.equal(r2.error.presented, "shoal://c-test/node/n2/manager");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(uncaught, []);
});

test("join probe: a server of another CA is refused with CA_MISMATCH and receives no application byte", async (t) => {
  const ours = await testCa();
  const theirs = await newTestCa("c-test");
  const fake = await theirs.manager("n1");
  const s = await startServer(t, server(fake, "request"));
  const err = await probeClusterAnchor({ host: "127.0.0.1", port: s.port, caDigest: rootDigest(ours.trust[0]!) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof CaMismatchError, String(err));
  assert.equal(err.code, "SHOAL_ERR_CA_MISMATCH");
  assert.match(err.message, new RegExp(`the token does not belong to the cluster at 127\\.0\\.0\\.1:${s.port}`));
  assert.match(err.hint ?? "", /join-token/);
  assert.equal(err.presented, 2, "the leaf and the root it chains to");
  // The server completed a handshake with the probe, and got nothing after it.
  const peer = await s.nextPeer();
  if (!peer.closed) await once(peer, "close");
  assert.equal(s.received.length, 1);
  assert.deepEqual(s.received, [0]);
});

test("join probe: the cluster's own manager yields the pinned root and its cluster id", async (t) => {
  const ca = await testCa();
  const mgr = await ca.manager("n1");
  const s = await startServer(t, server(mgr, "request"));
  const found = await probeClusterAnchor({ host: "127.0.0.1", port: s.port, caDigest: rootDigest(ca.trust[0]!) });
  assert.equal(found.clusterId, "c-test");
  assert.equal(found.pem, ca.trust[0]);
  assert.ok(found.anchor.raw.equals(parseCertificates(ca.trust)[0]!.raw));
  // The verified connection that follows, with the anchor as the only trust.
  const r = await dial(
    t,
    s.port,
    clientTlsOptions({ trust: [found.pem], expect: anyManagerOf(found.clusterId ?? "") }),
  );
  assert.equal(r.line, "hello");
});

test("join probe: nothing listening is a temporary ProbeFailedError", async () => {
  const err = await probeClusterAnchor({
    host: "127.0.0.1",
    port: 1,
    caDigest: new Uint8Array(32),
    timeoutMs: 2000,
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProbeFailedError, String(err));
  assert.equal(err.temporary, true);
});

test("mutual TLS: a client without a certificate, or with another CA's, is refused; the cluster's agent is accepted", async (t) => {
  const ca = await testCa();
  const mgr = await ca.manager("n1");
  const s = await startServer(t, server(mgr, "require"));
  const expect = anyManagerOf("c-test");
  const none = await dial(t, s.port, clientTlsOptions({ trust: ca.trust, expect }));
  assert.ok(none.error, "no certificate: the connection fails");
  const foreign = await newTestCa("c-test");
  const stranger = await foreign.agent("n9");
  const other = await dial(
    t,
    s.port,
    clientTlsOptions({ trust: ca.trust, expect, chain: stranger.chain, key: stranger.key }),
  );
  assert.ok(other.error, "another CA's certificate: the connection fails");
  assert.equal(s.received.length, 0, "no refused client reached the connection handler");
  assert.equal(s.clientErrors.length, 2);
  const agent = await ca.agent("n2");
  const ok = await dial(t, s.port, clientTlsOptions({ trust: ca.trust, expect, chain: agent.chain, key: agent.key }));
  assert.equal(ok.line, "hello");
  assert.deepEqual(authorizedPeerIdentity(s.peers[0]!), { kind: "agent", clusterId: "c-test", nodeId: "n2" });
});

test("requested client certificates (the API): the server checks what was presented itself", async (t) => {
  const ca = await testCa();
  const mgr = await ca.manager("n1");
  const s = await startServer(t, server(mgr, "request"));
  const expect = anyManagerOf("c-test");
  const anonymous = await dial(t, s.port, clientTlsOptions({ trust: ca.trust, expect }));
  assert.equal(anonymous.line, "hello", "a caller without a certificate gets through (public routes)");
  const foreign = await (await newTestCa("c-test")).user("mallory");
  const stranger = await dial(
    t,
    s.port,
    clientTlsOptions({ trust: ca.trust, expect, chain: foreign.chain, key: foreign.key }),
  );
  assert.equal(stranger.line, "hello");
  const [anon, strange] = s.peers;
  assert.equal(authorizedPeerIdentity(anon!), undefined);
  assert.equal(authorizedPeerIdentity(strange!), undefined);
  const refused = verifyChain({
    presented: presentedChain(strange!),
    trust: parseCertificates(ca.trust),
    at: new Date(),
    purpose: "client",
  });
  assert.equal(refused.ok ? "ok" : refused.reason, "unknown-issuer");
  const user = await ca.user("alice");
  await dial(t, s.port, clientTlsOptions({ trust: ca.trust, expect, chain: user.chain, key: user.key }));
  const accepted = verifyChain({
    presented: presentedChain(s.peers[2]!),
    trust: parseCertificates(ca.trust),
    at: new Date(),
    purpose: "client",
  });
  assert.ok(accepted.ok);
  assert.deepEqual(accepted.identity, { kind: "user", clusterId: "c-test", userId: "alice" });
});

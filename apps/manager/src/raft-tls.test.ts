// Raft between managers over mutual TLS. The store's check of a peer (a table), the manager's sockets under a
// spy, and a real manager's Raft port against fake members: Raft transports of this test presenting
// certificates from the cluster's own CA.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { test, type TestContext } from "node:test";
import type { ShoalClient } from "@shoal/api";
import { trustedClient } from "@shoal/api/node";
import { MessageType, msg, TcpTransport, type Message, type RaftNode, type SocketFactory } from "@shoal/raft";
import { StoreState } from "@shoal/store";
import { certificatePaths, tlsSockets, writeTrustBundle, type RaftTlsMaterial } from "@shoal/trust";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { testCa } from "@shoal/trust/testing";
import type { Logger } from "./log.js";
import { startManager } from "./manager.js";
import { issueWithNewKey, readManagerTls } from "./manager-certificates.js";
import { managerRaftTls, raftPeerRefusal, renewFromOwnLog } from "./raft-tls.js";
import { pollUntil, seededStore } from "./testing/fixtures.js";
import { managerClient } from "./testing/manager-client.js";
import { managerOptions } from "./testing/manager-options.js";

/** A logger that keeps every line. */
function capture(): { logger: Logger; lines: { msg: string; fields: Record<string, unknown> }[] } {
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const at = (msg: string, fields: Record<string, unknown> = {}) => void lines.push({ msg, fields });
  return { logger: { info: at, warn: at, error: at }, lines };
}

/** Whether a line's message and reason contain both texts. */
const logged = (lines: { msg: string; fields: Record<string, unknown> }[], msg: string, reason: string | RegExp) =>
  lines.some((l) => {
    const field = l.fields["reason"];
    const why = typeof field === "string" ? field : "";
    return l.msg.includes(msg) && (typeof reason === "string" ? why.includes(reason) : reason.test(why));
  });

test("the store lets a node take part in Raft only while it exists and is a manager", async () => {
  const store = await seededStore({ nodes: [["m1", { role: "manager" }], "w1"] });
  const table: [string, StoreState, string, string | undefined][] = [
    ["a manager", store.state, "m1", undefined],
    ["a worker (demoted)", store.state, "w1", "node w1 is a worker, not a manager"],
    ["a removed node", store.state, "gone", "the cluster has no node gone (it was removed)"],
    ["a store without a cluster yet (a joining manager)", new StoreState(), "anyone", undefined],
  ];
  for (const [name, state, node, want] of table) assert.equal(raftPeerRefusal(state, node), want, name);
});

test("a restart without a usable certificate waits for its own log to be applied, then signs one with its CA", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-raft-renew-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await seededStore({ nodes: [["m1", { role: "manager" }]] });
  await writeTrustBundle(certificatePaths(dir).trust, [...(store.state.secrets()?.ca.roots ?? [])]);
  // The log as the restarted node holds it: committed to 7, applied to 5, then to 7 a moment later.
  let applied = 5;
  setTimeout(() => (applied = 7), 100);
  const raft = { status: () => ({ commit: 7, applied }) as ReturnType<RaftNode["status"]> };
  const where = { clusterId: "c1", nodeId: "m1", advertise: "127.0.0.1" };
  const tls = await renewFromOwnLog(raft, store.state, dir, where);
  assert.equal(applied, 7, "it waited for the log committed before the restart");
  assert.ok(tls);
  assert.deepEqual(await readManagerTls(dir, "m1"), tls, "written where the manager reads it on its next start");
  assert.equal(await renewFromOwnLog(raft, new StoreState(), dir, where), undefined, "no CA in the log: none");
});

test("plain TCP bytes (a Hello, a 16 MiB header, a SnapHeader) at the manager's sockets never reach the transport", async (t) => {
  const n1 = await (await testCa()).manager("n1");
  const log = capture();
  const raftTls = managerRaftTls({
    clusterId: "c-test",
    material: { chain: [...n1.chain], key: n1.key, trust: [...n1.trust] },
    state: new StoreState(),
    log: log.logger,
  });
  const handed: Duplex[] = [];
  const sockets: SocketFactory = {
    connect: (host, port, peer) => raftTls.transport.sockets.connect(host, port, peer),
    createServer: (onConnection) =>
      raftTls.transport.sockets.createServer((socket) => {
        handed.push(socket);
        onConnection(socket);
      }),
  };
  const transport = new TcpTransport({ nodeId: 1, clusterId: "c-test", host: "127.0.0.1", port: 0, sockets });
  await transport.start({ onMessage: () => assert.fail("delivered"), onUnreachable() {}, onSnapshotStatus() {} });
  t.after(() => transport.close());
  const [host, port] = [transport.address.split(":")[0] as string, Number(transport.address.split(":")[1])];
  const raw = createConnection({ host, port });
  raw.on("error", () => {});
  const hello = [20, 0, 0, 0, 1, 0x53, 0x48, 0x52, 0x54, 1, 6, ...Buffer.from("c-test"), 2, 1, 0];
  raw.write(Uint8Array.from([...hello, 0x00, 0x00, 0x00, 0x01, 3, 0x09, 0x00, 0x00, 0x40, 4]));
  await once(raw, "close");
  await pollUntil(() => log.lines.length > 0, "the refusal logged");
  assert.match(String(log.lines[0]?.fields["reason"]), /wrong version number|packet length|unknown protocol/i);
  // The transport got no socket, so no frame decoder exists that could have allocated anything.
  assert.equal(handed.length, 0);
});

/** The cluster's CA in the store of `state`, issuing a certificate of `kind` for node `nodeId`. */
async function credentials(state: StoreState, kind: "agent" | "manager", nodeId: string): Promise<RaftTlsMaterial> {
  const secrets = state.secrets();
  const cluster = state.cluster();
  assert.ok(secrets && cluster);
  const request = { kind, clusterId: cluster.id, nodeId, ...(kind === "manager" ? { addresses: ["127.0.0.1"] } : {}) };
  const c = await issueWithNewKey(secrets.ca.signer, request, new Date());
  return { chain: [...c.issued.chain], key: c.key, trust: [...secrets.ca.roots] };
}

/** A node joined with the manager token: its id (the store has it with role manager). */
async function joinedManagerNode(client: ShoalClient): Promise<string> {
  const { csr } = await generateKeyAndCsr();
  const tokens = await client.call("joinTokens");
  return (await client.call("clusterJoin", { body: { token: tokens.manager, csr } })).nodeId;
}

/** A Raft transport of this test on loopback: a fake member with `creds`, knowing the peers given. */
async function fakeMember(t: TestContext, clusterId: string, raftId: number, creds: RaftTlsMaterial) {
  const got: Message[] = [];
  const lines: { msg: string; fields: Record<string, unknown> }[] = [];
  const transport = new TcpTransport({
    nodeId: raftId,
    clusterId,
    host: "127.0.0.1",
    port: 0,
    sockets: tlsSockets({ clusterId, material: creds }),
    backoff: { baseMs: 20, maxMs: 100 },
    log: (_level, msg, fields = {}) => void lines.push({ msg, fields }),
  });
  await transport.start({ onMessage: (m) => void got.push(m), onUnreachable() {}, onSnapshotStatus() {} });
  t.after(() => transport.close());
  return { transport, got, lines };
}

test("a manager's Raft port: agents, impostors, removed members and wrong listeners are refused", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-raft-tls-"));
  const log = capture();
  const m1 = await startManager({ ...(await managerOptions(dir)), log: log.logger });
  t.after(async () => {
    await m1.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const client = managerClient(t, dir, [m1.apiAddr]);
  const [me] = m1.store.state.cluster()?.managers ?? [];
  assert.ok(me?.nodeId);
  const m1Peer = { id: 1, address: me.raftAddr, nodeId: me.nodeId };
  const asManager = async (creds: RaftTlsMaterial, raftAddr: string) => {
    const c = trustedClient({
      managers: [m1.apiAddr],
      trust: creds.trust.join(""),
      cert: creds.chain.join(""),
      key: creds.key,
    });
    t.after(() => c.close());
    const where = { raftAddr, apiAddr: "127.0.0.1:9", natsUrl: "nats://127.0.0.1:9", natsRouteAddr: "127.0.0.1:9" };
    return c.client.call("clusterManagerJoin", { body: where });
  };

  // 1. Plain TCP bytes: closed in the TLS handshake; the Raft transport logs nothing of them.
  const raw = createConnection({ host: "127.0.0.1", port: Number(me.raftAddr.split(":")[1]) });
  raw.on("error", () => {});
  raw.write(Uint8Array.from([20, 0, 0, 0, 1, 0x53, 0x48, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 3]));
  await once(raw, "close");
  await pollUntil(
    () => logged(log.lines, "refused a connection in its TLS handshake", /version|protocol|length/i),
    "a TLS refusal",
  );

  // 2. Node y joins as a manager: the membership records y for its Raft id, and the manager reaches it.
  const y = await joinedManagerNode(client);
  const yCreds = await credentials(m1.store.state, "manager", y);
  const fakeY = await fakeMember(t, m1.clusterId, 2, yCreds);
  fakeY.transport.addPeer(m1Peer.id, m1Peer.address, m1Peer.nodeId);
  const reply = await asManager(yCreds, fakeY.transport.address);
  assert.equal(reply.raftId, 2);
  assert.deepEqual(
    reply.members.find((m) => m.id === 1),
    m1Peer,
    "the join answer names the leader's node",
  );
  await pollUntil(() => fakeY.got.some((m) => m.from === 1), "the manager's messages reach member 2 (node y)");

  // 3. An agent certificate is refused in the TLS handshake.
  const agent = await fakeMember(t, m1.clusterId, 2, await credentials(m1.store.state, "agent", y));
  agent.transport.addPeer(m1Peer.id, m1Peer.address, m1Peer.nodeId);
  agent.transport.send([msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1 })]);
  await pollUntil(
    () => logged(log.lines, "TLS handshake", `shoal://${m1.clusterId}/node/${y}/agent, not a manager`),
    "agent refused",
  );
  await agent.transport.close();

  // 4. Node z's manager certificate in a Hello claiming member 2 (node y): refused, the reason logged.
  const z = await joinedManagerNode(client);
  const zCreds = await credentials(m1.store.state, "manager", z);
  const impostor = await fakeMember(t, m1.clusterId, 2, zCreds);
  impostor.transport.addPeer(m1Peer.id, m1Peer.address, m1Peer.nodeId);
  impostor.transport.send([msg({ type: MessageType.Heartbeat, from: 2, to: 1, term: 1 })]);
  await pollUntil(
    () => logged(log.lines, "refused inbound connection", `the peer is node ${z}, but member 2 is node ${y}`),
    "impostor refused",
  );

  // 5. Member 2 removed: its connections close both ways, and its certificate no longer gets in.
  fakeY.transport.send([msg({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: 1 })]);
  await pollUntil(
    () => fakeY.lines.some((l) => l.msg === "raft: connected to peer"),
    "member 2 connected to the manager",
  );
  await m1.raft.removeMember(2);
  await pollUntil(() => logged(fakeY.lines, "peer connection down", ""), "member 2's connection closed by the manager");
  fakeY.transport.send([msg({ type: MessageType.HeartbeatResp, from: 2, to: 1, term: 1 })]);
  await pollUntil(
    () => logged(log.lines, "refused inbound connection", "node 2 is not a member this node knows"),
    "removed member refused",
  );

  // 6. A listener presenting y's certificate where member 3 (node z) listens: the manager's dialer refuses it.
  const wrong = await fakeMember(t, m1.clusterId, 3, yCreds);
  wrong.transport.addPeer(m1Peer.id, m1Peer.address, m1Peer.nodeId);
  assert.equal((await asManager(zCreds, wrong.transport.address)).raftId, 3);
  await pollUntil(
    () =>
      logged(
        log.lines,
        "peer connection down",
        `node/${y}/manager, expected shoal://${m1.clusterId}/node/${z}/manager`,
      ),
    "wrong listener refused",
  );
  assert.deepEqual(wrong.got, [], "nothing reached the wrong listener");
});

import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterEach, describe, it } from "node:test";
import { type RaftTlsSockets, tlsSockets } from "@shoal/trust";
import { newTestCa, testCa, type TestCredentials } from "@shoal/trust/testing";
import { MessageType } from "../core/types.js";
import { openRaftNode } from "../node/open.js";
import type { RaftNode } from "../node/raft-node.js";
import { FAST, freePort, put, waitLeader } from "../node/test-support.js";
import { KvStateMachine } from "../testing/kv/kv-state-machine.js";
import { parseAddress } from "./address.js";
import type { TcpTransportOptions } from "./config.js";
import type { SocketFactory } from "./socket-factory.js";
import { LogCapture, type TestNode, closeAll, heartbeat, randomBytes, snapMessage, startNode } from "./test-support.js";

/** The transport options for mutual TLS with `creds`; `refused` hears connections dropped by the TLS layer. */
function tlsOptions(creds: TestCredentials, refused?: (reason: string) => void): Partial<TcpTransportOptions> {
  return { sockets: tlsSockets({ clusterId: "c-test", material: creds, ...(refused ? { onRefused: refused } : {}) }) };
}

/** Makes `to` a peer of `from` as Raft member `to.id`, the manager of node n<to.id>. */
function knows(from: TestNode, to: TestNode): void {
  from.transport.addPeer(to.id, to.transport.address, `n${to.id}`);
}

/** `factory` with a spy on what its server hands to the transport. */
function spied(factory: RaftTlsSockets): { sockets: SocketFactory; handed: Duplex[] } {
  const handed: Duplex[] = [];
  return {
    handed,
    sockets: {
      connect: (host, port, peer) => factory.connect(host, port, peer),
      createServer: (onConnection) =>
        factory.createServer((socket) => {
          handed.push(socket);
          onConnection(socket);
        }),
      peerIdentity: (socket) => factory.peerIdentity(socket),
    },
  };
}

/** The next refusal reported through the callback it returns. */
function nextRefusal(): { hear: (reason: string) => void; reason: Promise<string> } {
  let hear: (reason: string) => void = () => {};
  const reason = new Promise<string>((resolve) => (hear = resolve));
  return { hear, reason };
}

describe("TcpTransport over mutual TLS", () => {
  let nodes: (TestNode | undefined)[] = [];
  afterEach(async () => {
    await closeAll(nodes);
    nodes = [];
  });

  it("drops plain TCP bytes (a Hello, a 16 MiB header, a SnapHeader) in the TLS layer: the transport never sees them", async (t) => {
    const ca = await testCa();
    const refusal = nextRefusal();
    const factory = tlsSockets({ clusterId: "c-test", material: await ca.manager("n2"), onRefused: refusal.hear });
    const spy = spied(factory);
    const b = await startNode(2, { clusterId: "c-test", sockets: spy.sockets });
    nodes = [b];
    const raw = createConnection(parseAddress(b.transport.address));
    raw.on("error", () => {});
    t.after(() => void raw.destroy());
    const hello = [20, 0, 0, 0, 1, 0x53, 0x48, 0x52, 0x54, 1, 6, ...Buffer.from("c-test"), 1, 2, 1];
    raw.write(Uint8Array.from([...hello, 0x00, 0x00, 0x00, 0x01, 2, 0x09, 0x00, 0x00, 0x40, 4]));
    await once(raw, "close");
    assert.match(await refusal.reason, /wrong version number|packet length|unknown protocol/i);
    assert.equal(spy.handed.length, 0, "serveInbound was never called");
    assert.ok(!b.logs.has("closing transport connection"), "no frame was decoded");
    assert.deepEqual(b.recorder.messages, []);
  });

  const strangers: { name: string; creds: () => Promise<TestCredentials>; reason: RegExp }[] = [
    {
      name: "an agent certificate",
      creds: async () => (await testCa()).agent("n1"),
      reason: /shoal:\/\/c-test\/node\/n1\/agent, not a manager/,
    },
    {
      name: "a manager certificate of another cluster",
      creds: async () => (await testCa()).issue({ kind: "manager", clusterId: "c-other", nodeId: "n1" }),
      reason: /shoal:\/\/c-other\/node\/n1\/manager, not a manager of cluster c-test/,
    },
    {
      name: "a manager certificate of another CA",
      creds: async () => (await newTestCa("c-test")).manager("n1"),
      reason: /client certificate refused/,
    },
  ];
  for (const s of strangers) {
    it(`refuses ${s.name} before the handshake: nothing is delivered and the sender hears unreachable`, async () => {
      const ca = await testCa();
      const refusal = nextRefusal();
      const b = await startNode(2, { clusterId: "c-test", ...tlsOptions(await ca.manager("n2"), refusal.hear) });
      // The dialer trusts the right CA, so only the listener's checks can refuse.
      const a = await startNode(1, { clusterId: "c-test", ...tlsOptions({ ...(await s.creds()), trust: ca.trust }) });
      nodes = [a, b];
      knows(a, b);
      knows(b, a);
      a.transport.send([heartbeat(1, 2, 0)]);
      assert.match(await refusal.reason, s.reason);
      await a.recorder.until("unreachable", () => a.recorder.unreachable.includes(2));
      assert.deepEqual(b.recorder.messages, []);
      assert.ok(!b.logs.has("refused inbound connection"), "refused before any Hello was read");
    });
  }

  it("refuses the manager of n1 claiming Raft id 3, logging why, and accepts it as Raft id 1", async () => {
    const ca = await testCa();
    const n1 = await ca.manager("n1");
    const b = await startNode(2, { clusterId: "c-test", ...tlsOptions(await ca.manager("n2")) });
    const impostor = await startNode(3, { clusterId: "c-test", ...tlsOptions(n1) });
    const a = await startNode(1, { clusterId: "c-test", ...tlsOptions(n1) });
    nodes = [a, b, impostor];
    for (const n of [a, impostor]) {
      knows(n, b);
      knows(b, n);
    }
    impostor.transport.send([heartbeat(3, 2, 0)]);
    await b.logs.until("refused inbound connection", "the peer is node n1, but member 3 is node n3");
    await impostor.logs.until("peer refused the handshake");
    assert.equal(b.recorder.messages.length, 0);

    a.transport.send([heartbeat(1, 2, 7)]);
    await b.recorder.until("the heartbeat of member 1", () => b.recorder.messages.length === 1);
    assert.equal(b.recorder.messages[0]?.from, 1);
  });

  it("refuses to talk to a listener that presents another member's identity, without throwing", async (t) => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): number => uncaught.push(e);
    process.on("uncaughtException", onUncaught);
    t.after(() => process.off("uncaughtException", onUncaught));
    const ca = await testCa();
    // n3's manager listens at the address member 2 is expected at.
    const wrong = await startNode(2, { clusterId: "c-test", ...tlsOptions(await ca.manager("n3")) });
    const a = await startNode(1, { clusterId: "c-test", ...tlsOptions(await ca.manager("n1")) });
    nodes = [a, wrong];
    knows(a, wrong);
    a.transport.send([heartbeat(1, 2, 0)]);
    await a.logs.until("closing transport connection", "expected shoal://c-test/node/n2/manager");
    await a.recorder.until("unreachable", () => a.recorder.unreachable.includes(2));
    assert.deepEqual(wrong.recorder.messages, []);
    assert.deepEqual(uncaught, []);
  });

  it("refuses a member that authorize turns down, and closes both ways the connections of a removed member", async () => {
    const ca = await testCa();
    const removed = new Set<string>();
    const authorize = (node: string): string | undefined => (removed.has(node) ? "removed from the store" : undefined);
    const a = await startNode(1, { clusterId: "c-test", ...tlsOptions(await ca.manager("n1")) });
    const b = await startNode(2, { clusterId: "c-test", ...tlsOptions(await ca.manager("n2")), authorize });
    const c = await startNode(3, { clusterId: "c-test", ...tlsOptions(await ca.manager("n3")) });
    nodes = [a, b, c];
    for (const n of [a, c]) {
      knows(n, b);
      knows(b, n);
    }
    removed.add("n3");
    c.transport.send([heartbeat(3, 2, 0)]);
    await b.logs.until("refused inbound connection", "node n3 (member 3) may not take part: removed from the store");

    a.transport.send([heartbeat(1, 2, 1)]);
    b.transport.send([heartbeat(2, 1, 1)]);
    await b.recorder.until("member 1's heartbeat", () => b.recorder.messages.length === 1);
    await a.recorder.until("member 2's heartbeat", () => a.recorder.messages.length === 1);
    // Member 1 leaves b's membership: b's stream to it and its stream to b both close, and it cannot come back.
    b.transport.removePeer(1);
    await b.logs.until("closing inbound connections of a peer", "raft: peer removed");
    await a.logs.until("peer connection down");
    a.transport.send([heartbeat(1, 2, 2)]);
    await b.logs.until("refused inbound connection", "node 1 is not a member this node knows");
    assert.equal(b.recorder.messages.length, 1);
  });

  it("delivers an 8 MiB snapshot intact over TLS", async () => {
    const ca = await testCa();
    const a = await startNode(1, { clusterId: "c-test", ...tlsOptions(await ca.manager("n1")) });
    const b = await startNode(2, { clusterId: "c-test", ...tlsOptions(await ca.manager("n2")) });
    nodes = [a, b];
    knows(a, b);
    knows(b, a);
    const data = randomBytes(8 * 1024 * 1024, 7);
    a.transport.send([snapMessage(1, 2, data)]);
    await a.recorder.until("snapshot status", () => a.recorder.snapshotStatus.length === 1, 20_000);
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: true }]);
    const snap = b.recorder.messages.find((m) => m.type === MessageType.Snap);
    assert.deepEqual(snap, snapMessage(1, 2, data));
  });
});

describe("RaftNode on data dirs over mutual TLS", () => {
  it("three members elect a leader, replicate writes, and catch a member up by snapshot", async (t) => {
    const ca = await testCa();
    const creds = new Map<number, TestCredentials>();
    for (const id of [1, 2, 3]) creds.set(id, await ca.manager(`n${id}`));
    const ports = [await freePort(), await freePort(), await freePort()];
    const peers = ports.map((p, i) => ({ id: i + 1, address: `127.0.0.1:${p}`, nodeId: `n${i + 1}` }));
    const base = await mkdtemp(join(tmpdir(), "shoal-raft-tls-"));
    const sms = new Map<number, KvStateMachine>();
    const logs = new Map<number, LogCapture>();
    const nodes = new Map<number, RaftNode>();
    t.after(async () => {
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      await rm(base, { recursive: true, force: true });
    });
    const open = async (id: number): Promise<RaftNode> => {
      const sm = new KvStateMachine();
      const log = new LogCapture();
      sms.set(id, sm);
      logs.set(id, log);
      const node = await openRaftNode({
        ...FAST,
        dataDir: join(base, `n${id}`),
        id,
        nodeId: `n${id}`,
        clusterId: "test-cluster",
        listen: { host: "127.0.0.1", port: ports[id - 1] as number },
        stateMachine: sm,
        bootstrap: peers,
        snapshotEntries: 20,
        catchUpEntries: 5,
        transport: { ...tlsOptions(creds.get(id) as TestCredentials), log: log.log },
      });
      nodes.set(id, node);
      return node;
    };
    for (const p of peers) await open(p.id);
    const leader = await waitLeader([...nodes.values()]);
    for (let i = 0; i < 10; i++) await leader.propose(put(`k${i}`, String(i)));
    const f = peers.find((p) => p.id !== leader.id)?.id as number;
    await (nodes.get(f) as RaftNode).readBarrier();
    assert.equal(sms.get(f)?.get("k9"), "9", "a follower applied the writes");

    await nodes.get(f)?.stop();
    nodes.delete(f);
    for (let i = 10; i < 80; i++) await leader.propose(put(`k${i}`, String(i)));
    const restarted = await open(f);
    await logs.get(f)?.until("raft: snapshot received", "", 20_000);
    await restarted.readBarrier();
    assert.equal(sms.get(f)?.get("k79"), "79", "the restarted member caught up");
    assert.ok(logs.get(leader.id)?.has("raft: snapshot sent"), "the leader sent it a snapshot over TLS");
  });
});

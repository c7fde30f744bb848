import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { MessageType, msg } from "../core/types.js";
import { frameLength, encodeMessageFrame } from "./frame.js";
import {
  type TestNode,
  closeAll,
  heartbeat,
  randomBytes,
  sampleMessages,
  snapMessage,
  startCluster,
} from "./test-support.js";

/** Handles that would keep the process alive: sockets, servers and timers. */
function liveHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP") || r === "Timeout").length;
}

describe("TcpTransport", () => {
  let nodes: TestNode[] = [];
  afterEach(async () => {
    await closeAll(nodes);
    nodes = [];
  });

  it("two nodes exchange messages of every field shape intact, both ways", async () => {
    nodes = await startCluster([1, 2]);
    const [a, b] = nodes as [TestNode, TestNode];
    const toB = [...sampleMessages(1, 2), snapMessage(1, 2, randomBytes(3000, 7))];
    const toA = sampleMessages(2, 1);
    a.transport.send(toB);
    b.transport.send(toA);
    await b.recorder.until("all messages at node 2", () => b.recorder.messages.length === toB.length);
    await a.recorder.until("all messages at node 1", () => a.recorder.messages.length === toA.length);
    await a.recorder.until("snapshot status at node 1", () => a.recorder.snapshotStatus.length === 1);
    const stream = b.recorder.messages.filter((m) => m.type !== MessageType.Snap);
    assert.deepEqual(stream, toB.slice(0, -1), "stream messages arrive intact and in order");
    assert.deepEqual(
      b.recorder.messages.find((m) => m.type === MessageType.Snap),
      toB.at(-1),
    );
    assert.deepEqual(a.recorder.messages, toA);
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: true }]);
    assert.deepEqual([...a.recorder.unreachable, ...b.recorder.unreachable], []);
  });

  it("three nodes: every pair exchanges messages, each to the right node", async () => {
    nodes = await startCluster([1, 2, 3]);
    for (const from of nodes) {
      const out = nodes.filter((n) => n !== from).flatMap((to) => sampleMessages(from.id, to.id));
      from.transport.send(out);
    }
    for (const n of nodes) {
      const expected = nodes.filter((o) => o !== n).flatMap((o) => sampleMessages(o.id, n.id));
      await n.recorder.until(`messages at node ${n.id}`, () => n.recorder.messages.length === expected.length);
      for (const o of nodes.filter((x) => x !== n)) {
        const got = n.recorder.messages.filter((m) => m.from === o.id);
        assert.deepEqual(got, sampleMessages(o.id, n.id), `node ${n.id} from node ${o.id}`);
      }
    }
  });

  it("keeps per-peer order across many sends in one tick and across ticks", async () => {
    nodes = await startCluster([1, 2]);
    const [a, b] = nodes as [TestNode, TestNode];
    for (let i = 0; i < 500; i++) a.transport.send([heartbeat(1, 2, i)]);
    await Promise.resolve();
    a.transport.send(Array.from({ length: 500 }, (_, i) => heartbeat(1, 2, 500 + i)));
    await b.recorder.until("1000 heartbeats", () => b.recorder.messages.length === 1000);
    assert.deepEqual(
      b.recorder.messages.map((m) => m.commit),
      Array.from({ length: 1000 }, (_, i) => i),
    );
  });

  it("drops messages to itself and reports unknown peers unreachable, asynchronously", async () => {
    nodes = await startCluster([1, 2]);
    const [a, b] = nodes as [TestNode, TestNode];
    a.transport.send([heartbeat(1, 1, 0), heartbeat(1, 9, 0), heartbeat(1, 9, 1), heartbeat(1, 2, 2)]);
    assert.deepEqual(a.recorder.unreachable, [], "never called from inside send()");
    await b.recorder.until("heartbeat at node 2", () => b.recorder.messages.length === 1);
    await a.recorder.until("unreachable 9", () => a.recorder.unreachable.length === 1);
    assert.deepEqual(a.recorder.unreachable, [9]);
    assert.deepEqual(a.recorder.messages, []);
  });

  it("drops a message larger than maxFrameBytes, reports it, and keeps the stream going", async () => {
    nodes = await startCluster([1, 2], { maxFrameBytes: 4096, snapshotChunkBytes: 1024 });
    const [a, b] = nodes as [TestNode, TestNode];
    const big = msg({ type: MessageType.App, from: 1, to: 2, context: new Uint8Array(5000) });
    assert.ok(frameLength(encodeMessageFrame(big)) > 4096);
    a.transport.send([big, heartbeat(1, 2, 1)]);
    await a.recorder.until("unreachable 2", () => a.recorder.unreachable.includes(2));
    await b.recorder.until("heartbeat at node 2", () => b.recorder.messages.length === 1);
    assert.equal(b.recorder.messages[0]?.commit, 1);
    assert.ok(a.logs.has("larger than maxFrameBytes"));
  });

  it("close() ends every socket, server and timer", async () => {
    nodes = await startCluster([1, 2, 3]);
    nodes[0]?.transport.send([heartbeat(1, 2, 0), snapMessage(1, 3, randomBytes(100_000, 1))]);
    const [, b, c] = nodes as [TestNode, TestNode, TestNode];
    await b.recorder.until("heartbeat", () => b.recorder.messages.length === 1);
    await c.recorder.until("snapshot", () => c.recorder.messages.length === 1);
    await closeAll(nodes);
    // Destroyed sockets release their handles within a couple of turns of the event loop.
    // Tests in this file run one at a time, so nothing else holds sockets or timers by now.
    for (let turn = 0; turn < 20 && liveHandles() > 0; turn++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(liveHandles(), 0, String(process.getActiveResourcesInfo()));
  });
});

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { parseAddress } from "./address.js";
import { type TestNode, closeAll, heartbeat, startCluster, startNode } from "./test-support.js";

/**
 * Sends a heartbeat every few ms, like a Raft leader's ticker, until stopped. Reconnects happen on the
 * transport's own backoff; the ticker only gives it traffic to carry once they do.
 */
function ticker(node: TestNode, to: number): () => void {
  let seq = 0;
  const t = setInterval(() => node.transport.send([heartbeat(node.id, to, seq++)]), 5);
  return () => clearInterval(t);
}

describe("TcpTransport reconnects", () => {
  let nodes: (TestNode | undefined)[] = [];
  const stops: (() => void)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await closeAll(nodes);
    nodes = [];
  });

  it("reports a closed peer unreachable, then delivers again to a new node on the same port", async () => {
    const [a, b] = await startCluster([1, 2]);
    nodes = [a, b];
    assert.ok(a && b);
    a.transport.send([heartbeat(1, 2, 0)]);
    await b.recorder.until("first heartbeat", () => b.recorder.messages.length === 1);

    await b.transport.close();
    await a.recorder.until("unreachable after the connection dropped", () => a.recorder.unreachable.includes(2));
    const reported = a.recorder.unreachable.length;
    a.transport.send([heartbeat(1, 2, 1)]);
    await a.recorder.until("unreachable for a send to the down peer", () => a.recorder.unreachable.length > reported);

    const b2 = await startNode(2, { port: parseAddress(b.transport.address).port });
    nodes.push(b2);
    stops.push(ticker(a, 2));
    await b2.recorder.until("heartbeats at the restarted node", () => b2.recorder.messages.length >= 3);
    const seqs = b2.recorder.messages.map((m) => m.commit);
    assert.deepEqual(
      seqs,
      [...seqs].sort((x, y) => x - y),
      "in order after the reconnect",
    );
  });

  it("moves to a peer's new address when addPeer updates it", async () => {
    const [a, b] = await startCluster([1, 2]);
    nodes = [a, b];
    assert.ok(a && b);
    a.transport.send([heartbeat(1, 2, 0)]);
    await b.recorder.until("heartbeat at the old address", () => b.recorder.messages.length === 1);

    const moved = await startNode(2);
    nodes.push(moved);
    a.transport.addPeer(2, moved.transport.address);
    stops.push(ticker(a, 2));
    await moved.recorder.until("heartbeat at the new address", () => moved.recorder.messages.length >= 1);
    const atOld = b.recorder.messages.length;
    await moved.recorder.until("more heartbeats at the new address", () => moved.recorder.messages.length >= 5);
    assert.equal(b.recorder.messages.length, atOld, "nothing more goes to the old address");
  });

  it("refuses messages beyond the queue bound and reports the peer unreachable", async () => {
    const [a, b] = await startCluster([1, 2], { maxQueueMessages: 3 });
    nodes = [a, b];
    assert.ok(a && b);
    const c = await startNode(3, { maxQueueMessages: 3 });
    nodes.push(c);
    // Just added: the stream is still connecting, so messages queue up to the bound.
    a.transport.addPeer(3, c.transport.address);
    a.transport.send([0, 1, 2, 3, 4].map((i) => heartbeat(1, 3, i)));
    await c.recorder.until("queued heartbeats", () => c.recorder.messages.length === 3);
    await a.recorder.until("unreachable for the overflow", () => a.recorder.unreachable.includes(3));
    assert.deepEqual(
      c.recorder.messages.map((m) => m.commit),
      [0, 1, 2],
    );
  });

  it("forgets a removed peer: later messages to it are unreachable", async () => {
    const [a, b] = await startCluster([1, 2]);
    nodes = [a, b];
    assert.ok(a && b);
    a.transport.removePeer(2);
    a.transport.send([heartbeat(1, 2, 0)]);
    await a.recorder.until("unreachable 2", () => a.recorder.unreachable.includes(2));
    assert.equal(b.recorder.messages.length, 0);
  });
});

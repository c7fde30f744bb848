import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { NodeId } from "../core/types.js";
import { MemoryNetwork, type MemoryTransport } from "./memory-transport.js";
import { Recorder, heartbeat, sampleMessages, snapMessage } from "./test-support.js";

interface MemNode {
  readonly id: NodeId;
  readonly transport: MemoryTransport;
  readonly recorder: Recorder;
}

async function cluster(net: MemoryNetwork, ids: readonly NodeId[]): Promise<MemNode[]> {
  const nodes = ids.map((id) => ({ id, transport: net.transport(id), recorder: new Recorder() }));
  for (const n of nodes) {
    for (const o of nodes) if (o !== n) n.transport.addPeer(o.id, o.transport.address);
    await n.transport.start(n.recorder);
  }
  return nodes;
}

/** Sends one heartbeat on every directed link and returns, per link "a>b", whether it was delivered. */
async function probe(net: MemoryNetwork, nodes: readonly MemNode[]): Promise<Record<string, boolean>> {
  for (const n of nodes) n.recorder.messages.length = 0;
  for (const n of nodes) n.transport.send(nodes.filter((o) => o !== n).map((o) => heartbeat(n.id, o.id, 0)));
  await net.idle();
  const links: Record<string, boolean> = {};
  for (const n of nodes) {
    for (const o of nodes) if (o !== n) links[`${o.id}>${n.id}`] = n.recorder.messages.some((m) => m.from === o.id);
  }
  return links;
}

describe("MemoryNetwork", () => {
  let net = new MemoryNetwork();
  let nodes: MemNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.map((n) => n.transport.close()));
    net = new MemoryNetwork();
  });

  it("delivers every field shape intact, asynchronously and in order per pair", async () => {
    nodes = await cluster(net, [1, 2]);
    const [a, b] = nodes as [MemNode, MemNode];
    const sent = [...sampleMessages(1, 2), heartbeat(1, 2, 1), heartbeat(1, 2, 2)];
    a.transport.send(sent);
    assert.equal(b.recorder.messages.length, 0, "not delivered from inside send()");
    await net.idle();
    assert.deepEqual(b.recorder.messages, sent);
  });

  it("delivers copies: the sender's buffers can change after send", async () => {
    nodes = await cluster(net, [1, 2]);
    const [a, b] = nodes as [MemNode, MemNode];
    const m = sampleMessages(1, 2)[2];
    assert.ok(m);
    a.transport.send([m]);
    m.context.fill(0);
    await net.idle();
    assert.deepEqual(b.recorder.messages[0]?.context, new Uint8Array([1, 2, 3, 255]));
  });

  const cases: { name: string; apply: (net: MemoryNetwork) => void; cut: string[] }[] = [
    { name: "partition(1, 2) cuts both ways", apply: (n) => n.partition(1, 2), cut: ["1>2", "2>1"] },
    { name: "partition([1], [2, 3])", apply: (n) => n.partition([1], [2, 3]), cut: ["1>2", "2>1", "1>3", "3>1"] },
    { name: "cut(1, 2) is one way", apply: (n) => n.cut(1, 2), cut: ["1>2"] },
    { name: "isolate(3)", apply: (n) => n.isolate(3), cut: ["1>3", "3>1", "2>3", "3>2"] },
  ];
  for (const c of cases) {
    it(`${c.name}; heal() restores every link`, async () => {
      nodes = await cluster(net, [1, 2, 3]);
      c.apply(net);
      const links = await probe(net, nodes);
      const cut = Object.keys(links).filter((k) => !links[k]);
      assert.deepEqual(cut.sort(), [...c.cut].sort());
      for (const n of nodes) {
        const expected = c.cut.filter((l) => l.startsWith(`${n.id}>`)).map((l) => Number(l.split(">")[1]));
        assert.deepEqual([...n.recorder.unreachable].sort(), expected.sort(), `unreachable at node ${n.id}`);
      }
      net.heal();
      assert.ok(Object.values(await probe(net, nodes)).every(Boolean));
    });
  }

  it("reports snapshot status: true when delivered, false across a cut", async () => {
    nodes = await cluster(net, [1, 2, 3]);
    const [a, b, c] = nodes as [MemNode, MemNode, MemNode];
    net.cut(1, 3);
    a.transport.send([snapMessage(1, 2, new Uint8Array([1, 2])), snapMessage(1, 3, new Uint8Array([3]))]);
    await net.idle();
    assert.deepEqual(b.recorder.messages, [snapMessage(1, 2, new Uint8Array([1, 2]))]);
    assert.deepEqual(c.recorder.messages, []);
    assert.deepEqual(a.recorder.snapshotStatus, [
      { peer: 2, ok: true },
      { peer: 3, ok: false },
    ]);
  });

  it("drops messages to itself, reports unknown and closed peers unreachable", async () => {
    nodes = await cluster(net, [1, 2]);
    const [a, b] = nodes as [MemNode, MemNode];
    a.transport.send([heartbeat(1, 1, 0), heartbeat(1, 7, 0)]);
    await b.transport.close();
    a.transport.send([heartbeat(1, 2, 0)]);
    await net.idle();
    assert.deepEqual(a.recorder.messages, []);
    assert.deepEqual(a.recorder.unreachable.sort(), [2, 7]);
  });

  it("delivers nothing to and reports nothing from a closed transport", async () => {
    nodes = await cluster(net, [1, 2]);
    const [a, b] = nodes as [MemNode, MemNode];
    net.cut(1, 2);
    a.transport.send([heartbeat(1, 2, 0)]);
    b.transport.send([heartbeat(2, 1, 0)]);
    await a.transport.close();
    await net.idle();
    assert.deepEqual(a.recorder.unreachable, []);
    assert.deepEqual(a.recorder.messages, []);
    assert.deepEqual(b.recorder.unreachable, [1]);
  });
});

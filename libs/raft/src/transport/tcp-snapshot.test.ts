import assert from "node:assert/strict";
import { type Socket, createServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { MessageType } from "../core/types.js";
import { formatAddress } from "./address.js";
import { type SocketFactory, tcpSockets } from "./socket-factory.js";
import { type TestNode, closeAll, heartbeat, randomBytes, snapMessage, startNode } from "./test-support.js";

/**
 * A server-side socket factory that can stall connections: once armed, each accepted connection is paused
 * after it has delivered `afterBytes`, until `release()`. The sender then feels TCP backpressure.
 */
function stallingSockets(afterBytes: number): {
  sockets: SocketFactory;
  arm(): void;
  stalled: Promise<void>;
  release(): void;
} {
  let armed = false;
  let released = false;
  let onStall = (): void => {};
  const stalled = new Promise<void>((resolve) => (onStall = resolve));
  const held: Socket[] = [];
  return {
    sockets: {
      connect: (host, port) => tcpSockets.connect(host, port),
      createServer: (onConnection) =>
        createServer({ noDelay: true }, (socket) => {
          if (armed) {
            let seen = 0;
            // Registered before the transport's own 'data' listener, so the chunk that trips it is still read.
            socket.on("data", (chunk: Buffer) => {
              seen += chunk.byteLength;
              if (!released && seen >= afterBytes && !held.includes(socket)) {
                socket.pause();
                held.push(socket);
                onStall();
              }
            });
          }
          onConnection(socket);
        }),
    },
    arm: () => (armed = true),
    stalled,
    release: () => {
      released = true;
      held.forEach((s) => s.resume());
    },
  };
}

describe("TcpTransport snapshots", () => {
  let nodes: (TestNode | undefined)[] = [];
  afterEach(async () => {
    await closeAll(nodes);
    nodes = [];
  });

  it("delivers an 8 MiB snapshot intact while heartbeats keep flowing on the stream", async () => {
    const gate = stallingSockets(1024 * 1024);
    const a = await startNode(1);
    const b = await startNode(2, { sockets: gate.sockets });
    nodes = [a, b];
    a.transport.addPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 0)]);
    await b.recorder.until("stream connected", () => b.recorder.messages.length === 1);

    // Only the snapshot connection is accepted after this point; it stalls after 1 MiB of its 8.
    gate.arm();
    const data = randomBytes(8 * 1024 * 1024, 99);
    a.transport.send([snapMessage(1, 2, data)]);
    await gate.stalled;
    for (let i = 1; i <= 20; i++) a.transport.send([heartbeat(1, 2, i)]);
    await b.recorder.until("heartbeats during the snapshot", () => b.recorder.messages.length === 21);
    assert.deepEqual(a.recorder.snapshotStatus, [], "the snapshot is still in flight");
    assert.ok(!b.recorder.messages.some((m) => m.type === MessageType.Snap));

    gate.release();
    await a.recorder.until("snapshot status", () => a.recorder.snapshotStatus.length === 1, 20_000);
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: true }]);
    const snap = b.recorder.messages.find((m) => m.type === MessageType.Snap);
    assert.deepEqual(snap, snapMessage(1, 2, data), "snapshot delivered intact, after the ack");
  });

  it("reports false for a snapshot to a dead peer", async () => {
    const a = await startNode(1);
    nodes = [a];
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const address = dead.address();
    assert.ok(address && typeof address === "object");
    await new Promise((resolve) => dead.close(resolve));
    a.transport.addPeer(2, formatAddress("127.0.0.1", address.port));
    a.transport.send([snapMessage(1, 2, randomBytes(1000, 1))]);
    await a.recorder.until("snapshot status", () => a.recorder.snapshotStatus.length === 1);
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: false }]);
  });

  it("reports false when the transfer outlives snapshotTimeoutMs", async () => {
    const gate = stallingSockets(0);
    const a = await startNode(1, { snapshotTimeoutMs: 200 });
    const b = await startNode(2, { sockets: gate.sockets });
    nodes = [a, b];
    a.transport.addPeer(2, b.transport.address);
    gate.arm();
    a.transport.send([snapMessage(1, 2, randomBytes(4 * 1024 * 1024, 3))]);
    await a.recorder.until("snapshot status", () => a.recorder.snapshotStatus.length === 1);
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: false }]);
    assert.ok(a.logs.has("snapshot send failed", "timed out"));
    gate.release();
  });

  it("sends one snapshot per peer at a time", async () => {
    const gate = stallingSockets(0);
    const a = await startNode(1);
    const b = await startNode(2, { sockets: gate.sockets });
    nodes = [a, b];
    a.transport.addPeer(2, b.transport.address);
    a.transport.send([heartbeat(1, 2, 0)]);
    await b.recorder.until("stream connected", () => b.recorder.messages.length === 1);
    gate.arm();
    a.transport.send([snapMessage(1, 2, randomBytes(1000, 1)), snapMessage(1, 2, randomBytes(1000, 2))]);
    await gate.stalled;
    assert.ok(a.logs.has("already in flight"));
    gate.release();
    await a.recorder.until("snapshot status", () => a.recorder.snapshotStatus.length === 1);
    await b.recorder.until("snapshot", () => b.recorder.messages.length === 2);
    assert.deepEqual(b.recorder.messages[1], snapMessage(1, 2, randomBytes(1000, 1)));
    assert.deepEqual(a.recorder.snapshotStatus, [{ peer: 2, ok: true }]);
  });
});

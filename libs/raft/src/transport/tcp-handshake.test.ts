import assert from "node:assert/strict";
import { type AddressInfo, type Socket, createConnection, createServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { parseAddress } from "./address.js";
import type { FrameConnection } from "./frame-connection.js";
import { FrameDecoder, FrameType, decodeReply, encodeMessageFrame } from "./frame.js";
import { encodeHello } from "./handshake.js";
import { serveInbound } from "./inbound.js";
import { type SocketFactory, tcpSockets } from "./socket-factory.js";
import { LogCapture, type TestNode, closeAll, heartbeat, startCluster, startNode } from "./test-support.js";

/** Plain TCP whose every peer counts as having proved identity n1: the transport then checks identities. */
const provesN1: SocketFactory = { ...tcpSockets, peerIdentity: () => "n1" };

/** A raw client socket to `node`, with a promise for its close and the reply to its handshake (if any). */
function rawClient(node: TestNode): { socket: Socket; closed: Promise<void>; reply: Promise<boolean> } {
  const socket = createConnection(parseAddress(node.transport.address));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const decoder = new FrameDecoder();
  const reply = new Promise<boolean>((resolve) => {
    socket.on("data", (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) if (f.type === FrameType.HelloReply) resolve(decodeReply(f.payload).ok);
    });
  });
  return { socket, closed, reply };
}

describe("TcpTransport handshake", () => {
  let nodes: (TestNode | undefined)[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await closeAll(nodes);
    nodes = [];
  });

  const refusals = [
    {
      name: "a wrong cluster id",
      setup: async () => [
        await startNode(1, { clusterId: "cluster-a" }),
        await startNode(2, { clusterId: "cluster-b" }),
      ],
      dialAs: 2,
      reason: 'cluster id "cluster-a" does not match',
    },
    {
      // The node at that address restarted as node 3: node 1's messages for node 2 must not reach it.
      name: "a wrong receiver id",
      setup: async () => [await startNode(1), await startNode(3)],
      dialAs: 2,
      reason: "this address is node 3, not node 2",
    },
    {
      // A factory that authenticates peers (here, everyone as node n1) makes the listener check identities.
      name: "a sender that is not a member, when peers prove identities",
      setup: async () => [await startNode(1), await startNode(2, { sockets: provesN1 })],
      dialAs: 2,
      reason: "node 1 is not a member this node knows",
    },
    {
      name: "a member recorded without an identity (added by an earlier version)",
      setup: async () => {
        const [a, b] = [await startNode(1), await startNode(2, { sockets: provesN1 })];
        b.transport.addPeer(1, a.transport.address);
        return [a, b];
      },
      dialAs: 2,
      reason: "the membership records no node identity for member 1",
    },
    {
      name: "a member proving another identity",
      setup: async () => {
        const [a, b] = [await startNode(1), await startNode(2, { sockets: provesN1 })];
        b.transport.addPeer(1, a.transport.address, "n7");
        return [a, b];
      },
      dialAs: 2,
      reason: "the peer is node n1, but member 1 is node n7",
    },
    {
      name: "a member whom authorize refuses",
      setup: async () => {
        const a = await startNode(1);
        const b = await startNode(2, { sockets: provesN1, authorize: (n) => `node ${n} was removed` });
        b.transport.addPeer(1, a.transport.address, "n1");
        return [a, b];
      },
      dialAs: 2,
      reason: "node n1 (member 1) may not take part: node n1 was removed",
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}: nothing is delivered and the sender hears unreachable`, async () => {
      const [a, b] = await c.setup();
      nodes = [a, b];
      assert.ok(a && b);
      a.transport.addPeer(c.dialAs, b.transport.address);
      a.transport.send([heartbeat(1, c.dialAs, 0)]);
      await a.recorder.until("unreachable", () => a.recorder.unreachable.includes(c.dialAs));
      await b.logs.until("refused inbound connection", c.reason);
      await a.logs.until("peer refused the handshake");
      assert.deepEqual(b.recorder.messages, []);
    });
  }

  it("closes a connection that sends an oversized frame and keeps serving others", async () => {
    nodes = await startCluster([1, 2], { maxFrameBytes: 64 * 1024, snapshotChunkBytes: 1024 });
    const [a, b] = nodes as [TestNode, TestNode];
    const raw = rawClient(b);
    sockets.push(raw.socket);
    raw.socket.write(encodeHello({ clusterId: "test-cluster", from: 9, to: 2, channel: "stream" }));
    assert.equal(await raw.reply, true, "handshake accepted");
    raw.socket.write(new Uint8Array([0xff, 0xff, 0xff, 0x7f, FrameType.Message]));
    await raw.closed;
    assert.ok(b.logs.has("closing transport connection", "exceeds the limit of 65536 bytes"));

    a.transport.send([heartbeat(1, 2, 1)]);
    await b.recorder.until("heartbeat from node 1", () => b.recorder.messages.length === 1);
  });

  const garbage = [
    { name: "bytes that are not the protocol", bytes: new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n") },
    { name: "a message frame before the handshake", bytes: new Uint8Array([1, 0, 0, 0, FrameType.Message]) },
    { name: "a hello with a bad magic", bytes: new Uint8Array([5, 0, 0, 0, FrameType.Hello, 1, 2, 3, 4]) },
  ];
  for (const g of garbage) {
    it(`closes a connection that sends ${g.name}`, async () => {
      const b = await startNode(2);
      nodes = [b];
      const raw = rawClient(b);
      sockets.push(raw.socket);
      raw.socket.write(g.bytes);
      await raw.closed;
      assert.ok(b.logs.has("closing transport connection"));
    });
  }

  /** A 5-byte header announcing a 16 MiB Message frame: u32 LE length | u8 type. */
  const header16MiB = new Uint8Array([0x00, 0x00, 0x00, 0x01, FrameType.Message]);

  it("closes a connection whose first frame announces 16 MiB before its handshake", async () => {
    const b = await startNode(2);
    nodes = [b];
    const raw = rawClient(b);
    sockets.push(raw.socket);
    raw.socket.write(header16MiB);
    await raw.closed;
    assert.ok(b.logs.has("closing transport connection", "exceeds the limit of 1024 bytes"));
  });

  it("allocates nothing for a 16 MiB frame announced before the handshake", async (t) => {
    const logs = new LogCapture();
    const conns: FrameConnection[] = [];
    const server = createServer((socket) => {
      conns.push(
        serveInbound(socket, {
          nodeId: 2,
          clusterId: "test-cluster",
          maxFrameBytes: 64 * 1024 * 1024,
          maxHandshakeFrameBytes: 1024,
          maxSnapshotBytes: 1024 ** 3,
          handshakeTimeoutMs: 5000,
          log: logs.log,
          deliver: () => assert.fail("nothing may be delivered"),
        }),
      );
    });
    t.after(() => server.close());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const socket = createConnection((server.address() as AddressInfo).port, "127.0.0.1");
    socket.on("error", () => {});
    sockets.push(socket);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(header16MiB);
    await closed;
    const [conn] = conns;
    assert.ok(conn, "the server saw the connection");
    assert.equal(conn.isClosed, true);
    assert.equal(conn.allocatedBytes, 0, "no buffer was allocated for the announced frame");
  });

  it("accepts large frames once the handshake is accepted", async () => {
    const b = await startNode(2);
    nodes = [b];
    const raw = rawClient(b);
    sockets.push(raw.socket);
    raw.socket.write(encodeHello({ clusterId: "test-cluster", from: 9, to: 2, channel: "stream" }));
    assert.equal(await raw.reply, true, "handshake accepted");
    const big = { ...heartbeat(9, 2, 0), context: new Uint8Array(4096) };
    raw.socket.write(encodeMessageFrame(big));
    await b.recorder.until("the 4 KiB message", () => b.recorder.messages.length === 1);
  });

  it("closes an inbound connection that never sends its handshake", async () => {
    const b = await startNode(2, { handshakeTimeoutMs: 50 });
    nodes = [b];
    const raw = rawClient(b);
    sockets.push(raw.socket);
    await raw.closed;
    assert.ok(b.logs.has("no handshake from inbound connection"));
  });
});

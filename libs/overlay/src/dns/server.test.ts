import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { Resolver } from "node:dns/promises";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { test, type TestContext } from "node:test";
import { bindUdpAndTcp } from "./bind.js";
import {
  buildQuery,
  buildResponse,
  parseQuery,
  Rcode,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
  withId,
  type DnsQuery,
} from "./message.js";
import type { DnsAnswer } from "./resolve.js";
import { startDnsServer, type DnsServer, type DnsServerOptions } from "./server.js";
import { FrameReader, frame } from "./tcp-frames.js";
import { decodeResponse } from "./testing.js";

const LOOPBACK = "127.0.0.1";

const hundred = Array.from({ length: 100 }, (_, i) => `10.0.${String(i >> 6)}.${String(i & 63)}`);
const clusterNames: Record<string, DnsAnswer> = {
  web: { addresses: ["10.0.9.2"], ttl: 600 },
  "tasks.web": { addresses: ["10.0.9.3", "10.0.9.4"], ttl: 0 },
  "tasks.x": { addresses: hundred, ttl: 0 },
  empty: { addresses: [], ttl: 600 },
};

interface Started {
  readonly server: DnsServer;
  readonly resolver: Resolver;
  readonly warnings: string[];
}

async function start(t: TestContext, over: Partial<DnsServerOptions> = {}): Promise<Started> {
  const warnings: string[] = [];
  const server = await startDnsServer({
    address: LOOPBACK,
    port: 0,
    lookup: (name) => clusterNames[name],
    reverse: (address) => (address === "10.0.9.3" ? "web.1.t1.default" : undefined),
    upstreams: [],
    forwardTimeoutMs: 300,
    log: { warn: (msg) => warnings.push(msg) },
    ...over,
  });
  t.after(() => server.close());
  const resolver = new Resolver({ timeout: 5000, tries: 1 });
  resolver.setServers([`${LOOPBACK}:${String(server.port)}`]);
  t.after(() => {
    resolver.cancel();
  });
  return { server, resolver, warnings };
}

/** How a fake upstream treats a query: the messages it sends back (none: it never answers). */
type Behaviour = (query: DnsQuery, transport: "udp" | "tcp") => Buffer[];

interface FakeUpstream {
  readonly address: string;
  readonly asked: { name: string | undefined; transport: "udp" | "tcp" }[];
}

/** Answers example names with 192.0.2.1 (UDP) or 192.0.2.2 (TCP), and NXDOMAIN for "missing.example". */
const answering: Behaviour = (q, transport) => {
  const nx = q.question.name === "missing.example";
  const address = transport === "udp" ? "192.0.2.1" : "192.0.2.2";
  return [
    buildResponse({
      ...q,
      rcode: nx ? Rcode.NXDOMAIN : Rcode.NOERROR,
      authoritative: false,
      answers: nx || q.question.type !== TYPE_A ? [] : [{ type: TYPE_A, ttl: 60, address }],
    }),
  ];
};

async function fakeUpstream(t: TestContext, behave: Behaviour): Promise<FakeUpstream> {
  const { udp, tcp } = await bindUdpAndTcp(LOOPBACK, 0);
  const asked: FakeUpstream["asked"] = [];
  const connections = new Set<Socket>();
  const handle = (bytes: Buffer, transport: "udp" | "tcp"): Buffer[] => {
    const parsed = parseQuery(bytes);
    if (parsed.kind !== "query") return [];
    asked.push({ name: parsed.query.question.name, transport });
    return behave(parsed.query, transport);
  };
  udp.on("message", (msg, rinfo) => {
    for (const out of handle(msg, "udp")) udp.send(out, rinfo.port, rinfo.address);
  });
  tcp.on("connection", (socket) => {
    connections.add(socket);
    const reader = new FrameReader();
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      for (const msg of reader.push(chunk)) for (const out of handle(msg, "tcp")) socket.write(frame(out));
    });
  });
  t.after(async () => {
    for (const socket of connections) socket.destroy();
    await Promise.all([new Promise((r) => tcp.close(r)), new Promise((r) => udp.close(() => r(undefined)))]);
  });
  return { address: `${LOOPBACK}:${String(udp.address().port)}`, asked };
}

/** Sends datagrams from one socket and returns the first reply. */
async function udpAsk(t: TestContext, port: number, ...messages: Buffer[]): Promise<Buffer> {
  const socket = createSocket("udp4");
  t.after(() => {
    socket.close();
  });
  const reply = once(socket, "message");
  for (const m of messages) socket.send(m, port, LOOPBACK);
  const [msg] = (await reply) as [Buffer];
  return msg;
}

/** Opens a TCP connection to the server that collects the messages it answers. */
async function tcpClient(
  t: TestContext,
  port: number,
): Promise<{ socket: Socket; next: (n: number) => Promise<Buffer[]> }> {
  const socket = connect({ host: LOOPBACK, port });
  t.after(() => socket.destroy());
  await once(socket, "connect");
  const reader = new FrameReader();
  const got: Buffer[] = [];
  socket.on("data", (chunk) => got.push(...reader.push(chunk)));
  const next = async (n: number): Promise<Buffer[]> => {
    while (got.length < n) await once(socket, "data");
    return got.splice(0, n);
  };
  return { socket, next };
}

test("cluster names answer A with their addresses; AAAA and empty names are NODATA and never forwarded", async (t) => {
  const upstream = await fakeUpstream(t, answering);
  const { resolver } = await start(t, { upstreams: [upstream.address] });
  assert.deepEqual(await resolver.resolve4("web", { ttl: true }), [{ address: "10.0.9.2", ttl: 600 }]);
  assert.deepEqual((await resolver.resolve4("TASKS.web")).sort(), ["10.0.9.3", "10.0.9.4"]);
  await assert.rejects(resolver.resolve6("web"), { code: "ENODATA" });
  await assert.rejects(resolver.resolve4("empty"), { code: "ENODATA" });
  assert.deepEqual(upstream.asked, [], "no cluster name reached the upstream");
  assert.deepEqual(await resolver.reverse("10.0.9.3"), ["web.1.t1.default"]);
});

test("an answer too big for UDP is truncated with TC, and the client gets every address over TCP", async (t) => {
  const { server, resolver } = await start(t);
  const plain = decodeResponse(await udpAsk(t, server.port, buildQuery({ id: 1, name: "tasks.x", type: TYPE_A })));
  assert.equal(plain.truncated, true);
  assert.ok(plain.answers.length > 0 && plain.answers.length < 100);
  const edns = decodeResponse(
    await udpAsk(t, server.port, buildQuery({ id: 2, name: "tasks.x", type: TYPE_A, udpSize: 1232 })),
  );
  assert.equal(edns.truncated, true);
  assert.ok(edns.answers.length > plain.answers.length, "the EDNS0 size allows more");
  assert.deepEqual(edns.opt, { udpSize: 4096 }, "the OPT record is echoed");
  const all = await resolver.resolve4("tasks.x");
  assert.deepEqual([...all].sort(), [...hundred].sort());
});

test("TCP takes several queries on one connection and echoes the question's case as sent", async (t) => {
  const { server } = await start(t);
  const client = await tcpClient(t, server.port);
  const first = buildQuery({ id: 11, name: "WeB", type: TYPE_A });
  const second = buildQuery({ id: 12, name: "tAsKs.X", type: TYPE_A });
  // Both frames in one write, the second split across two, to exercise framing.
  const bytes = Buffer.concat([frame(first), frame(second)]);
  client.socket.write(bytes.subarray(0, bytes.length - 7));
  client.socket.write(bytes.subarray(bytes.length - 7));
  const answers = (await client.next(2)).map(decodeResponse).sort((a, b) => a.id - b.id);
  assert.deepEqual(
    answers.map((a) => a.question?.name),
    ["WeB", "tAsKs.X"],
  );
  assert.deepEqual(
    answers[0]?.answers.map((a) => a.data),
    ["10.0.9.2"],
  );
  assert.equal(answers[1]?.truncated, false);
  assert.equal(answers[1]?.answers.length, 100);
});

test("other names go to the upstream over the client's transport and come back with the client's id", async (t) => {
  const upstream = await fakeUpstream(t, answering);
  const { server, resolver } = await start(t, { upstreams: [upstream.address] });
  assert.deepEqual(await resolver.resolve4("example.org"), ["192.0.2.1"]);
  await assert.rejects(resolver.resolve4("missing.example"), { code: "ENOTFOUND" });
  const client = await tcpClient(t, server.port);
  client.socket.write(frame(buildQuery({ id: 0x4242, name: "Example.ORG", type: TYPE_A })));
  const [raw] = await client.next(1);
  const viaTcp = decodeResponse(raw ?? Buffer.alloc(0));
  assert.equal(viaTcp.id, 0x4242);
  assert.deepEqual(
    viaTcp.answers.map((a) => a.data),
    ["192.0.2.2"],
  );
  assert.deepEqual(upstream.asked, [
    { name: "example.org", transport: "udp" },
    { name: "missing.example", transport: "udp" },
    { name: "example.org", transport: "tcp" },
  ]);
});

test("an upstream that never answers is given up after the timeout and the next one asked", async (t) => {
  const silent = await fakeUpstream(t, () => []);
  const good = await fakeUpstream(t, answering);
  const { server, resolver } = await start(t, { upstreams: [silent.address, good.address], forwardTimeoutMs: 200 });
  assert.deepEqual(await resolver.resolve4("example.org"), ["192.0.2.1"]);
  const client = await tcpClient(t, server.port);
  client.socket.write(frame(buildQuery({ id: 5, name: "example.org", type: TYPE_A })));
  const [raw] = await client.next(1);
  assert.deepEqual(
    decodeResponse(raw ?? Buffer.alloc(0)).answers.map((a) => a.data),
    ["192.0.2.2"],
  );
  assert.deepEqual(
    silent.asked.map((a) => a.transport),
    ["udp", "tcp"],
  );
  assert.deepEqual(
    good.asked.map((a) => a.transport),
    ["udp", "tcp"],
  );
});

test("an upstream that refuses the connection is passed over at once, well before its timeout", async (t) => {
  const gone = await bindUdpAndTcp(LOOPBACK, 0);
  const closedPort = gone.udp.address().port;
  await Promise.all([new Promise((r) => gone.tcp.close(r)), new Promise((r) => gone.udp.close(() => r(undefined)))]);
  const good = await fakeUpstream(t, answering);
  // The forward timeout is longer than the client's, so only moving on at the refusal gives the client an answer.
  const { server, resolver } = await start(t, {
    upstreams: [`${LOOPBACK}:${String(closedPort)}`, good.address],
    forwardTimeoutMs: 60_000,
  });
  assert.deepEqual(await resolver.resolve4("example.org"), ["192.0.2.1"]);
  const client = await tcpClient(t, server.port);
  client.socket.write(frame(buildQuery({ id: 6, name: "example.org", type: TYPE_A })));
  const [raw] = await client.next(1);
  assert.deepEqual(
    decodeResponse(raw ?? Buffer.alloc(0)).answers.map((a) => a.data),
    ["192.0.2.2"],
  );
});

test("answers that do not match the query's id or question are ignored", async (t) => {
  const sly = await fakeUpstream(t, (q, transport) => {
    const [right] = answering(q, transport);
    const other = parseQuery(buildQuery({ id: q.id, name: "other.example", type: TYPE_A }));
    if (right === undefined || other.kind !== "query") return [];
    const wrongQuestion = buildResponse({ ...other.query, rcode: Rcode.NXDOMAIN, authoritative: false, answers: [] });
    return [withId(right, q.id ^ 1), wrongQuestion, right];
  });
  const { resolver } = await start(t, { upstreams: [sly.address] });
  assert.deepEqual(await resolver.resolve4("example.org"), ["192.0.2.1"]);
});

test("with no upstream answering, or none configured, the answer is SERVFAIL", async (t) => {
  const silent = await fakeUpstream(t, () => []);
  const lonely = await start(t, { upstreams: [silent.address], forwardTimeoutMs: 100 });
  await assert.rejects(lonely.resolver.resolve4("example.org"), { code: "ESERVFAIL" });
  await assert.rejects(lonely.resolver.resolve4("example.net"), { code: "ESERVFAIL" });
  assert.deepEqual(
    lonely.warnings,
    ["dns: no upstream resolver answered; answered SERVFAIL"],
    "one warning for a run of failures",
  );
  const none = await start(t);
  await assert.rejects(none.resolver.resolve4("example.org"), { code: "ESERVFAIL" });
  // A PTR that `reverse` does not know is forwarded too (node's reverse() reports SERVFAIL as ENOTFOUND).
  const ptr = buildQuery({ id: 3, name: "4.9.0.10.in-addr.arpa", type: TYPE_PTR });
  assert.equal(decodeResponse(await udpAsk(t, none.server.port, ptr)).rcode, Rcode.SERVFAIL);
});

test("malformed queries get FORMERR or nothing, other opcodes NOTIMP, and the server keeps answering", async (t) => {
  const { server, resolver } = await start(t);
  const two = buildQuery({ id: 21, name: "web", type: TYPE_A });
  two.writeUInt16BE(2, 4);
  const garbage = Buffer.from([1, 2, 3, 4, 5]);
  // The garbage gets no reply: the first reply on the socket is the one to the query after it.
  assert.equal(decodeResponse(await udpAsk(t, server.port, garbage, two)).rcode, Rcode.FORMERR);
  const notify = buildQuery({ id: 22, name: "web", type: TYPE_A });
  notify.writeUInt16BE(4 << 11, 2);
  assert.equal(decodeResponse(await udpAsk(t, server.port, notify)).rcode, Rcode.NOTIMP);
  const cut = buildQuery({ id: 23, name: "web", type: TYPE_AAAA }).subarray(0, 14);
  const client = await tcpClient(t, server.port);
  client.socket.write(
    Buffer.concat([frame(garbage), frame(cut), frame(buildQuery({ id: 24, name: "web", type: TYPE_A }))]),
  );
  const replies = (await client.next(2)).map(decodeResponse);
  assert.deepEqual(
    replies.map((r) => [r.id, r.rcode]),
    [
      [23, Rcode.FORMERR],
      [24, Rcode.NOERROR],
    ],
  );
  assert.deepEqual(await resolver.resolve4("web"), ["10.0.9.2"]);
});

test("a lookup that throws gives SERVFAIL and a warning, not a crash", async (t) => {
  const { resolver, warnings } = await start(t, {
    lookup: () => {
      throw new Error("store unavailable");
    },
  });
  await assert.rejects(resolver.resolve4("web"), { code: "ESERVFAIL" });
  assert.deepEqual(warnings, ["dns: the name lookup failed; answered SERVFAIL"]);
});

test("close() closes both sockets and the open TCP connections, and frees the port", async (t) => {
  const { server } = await start(t);
  const client = await tcpClient(t, server.port);
  const closed = once(client.socket, "close");
  await server.close();
  await closed;
  await server.close();
  const again = await bindUdpAndTcp(LOOPBACK, server.port);
  await Promise.all([new Promise((r) => again.tcp.close(r)), new Promise((r) => again.udp.close(() => r(undefined)))]);
});

test("an idle TCP connection is closed by the server", async (t) => {
  const { server } = await start(t, { tcpIdleMs: 50 });
  const client = await tcpClient(t, server.port);
  client.socket.write(frame(buildQuery({ id: 1, name: "web", type: TYPE_A })));
  await client.next(1);
  await once(client.socket, "close");
});

test("bad options are refused naming the field", async () => {
  const base = { address: LOOPBACK, port: 0, lookup: () => undefined, upstreams: [] };
  await assert.rejects(startDnsServer({ ...base, address: "localhost" }), /invalid address/);
  await assert.rejects(startDnsServer({ ...base, upstreams: ["8.8.8.8:x"] }), /invalid upstreams/);
  await assert.rejects(startDnsServer({ ...base, forwardTimeoutMs: 0 }), /invalid forwardTimeoutMs/);
});

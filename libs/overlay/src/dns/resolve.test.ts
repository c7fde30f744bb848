import assert from "node:assert/strict";
import { test } from "node:test";
import { buildQuery, Rcode, TYPE_A, TYPE_AAAA, TYPE_PTR } from "./message.js";
import { decide, reverseAddress, shuffled, type DecideContext, type DnsAnswer } from "./resolve.js";
import { decodeResponse, seeded } from "./testing.js";

const names: Record<string, DnsAnswer> = {
  web: { addresses: ["10.0.0.2"], ttl: 600 },
  "tasks.web": { addresses: ["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"], ttl: 0 },
  empty: { addresses: [], ttl: 600 },
};
const asked: [string, string][] = [];

function context(over: Partial<DecideContext> = {}): DecideContext {
  return {
    client: "10.0.0.9",
    transport: "udp",
    lookup: (name, client) => {
      asked.push([name, client]);
      return names[name];
    },
    reverse: (address) => (address === "10.0.0.3" ? "web.1.t1.default" : undefined),
    random: seeded(1),
    reverseTtl: 30,
    ...over,
  };
}

function reply(name: string, type: number, ctx = context()) {
  const d = decide(buildQuery({ id: 77, name, type }), ctx);
  assert.equal(d.kind, "reply", `${name}: ${d.kind}`);
  if (d.kind !== "reply") throw new Error("unreachable");
  return decodeResponse(d.response);
}

test("a cluster name answers A with its addresses and TTL, authoritatively, with the lookup given lower case and the client", () => {
  asked.length = 0;
  const r = reply("WEB", TYPE_A);
  assert.deepEqual(asked, [["web", "10.0.0.9"]]);
  assert.equal(r.id, 77);
  assert.equal(r.rcode, Rcode.NOERROR);
  assert.equal(r.authoritative, true);
  assert.deepEqual(r.question, { name: "WEB", type: TYPE_A }, "the question is echoed as sent");
  assert.deepEqual(r.answers, [{ type: TYPE_A, ttl: 600, data: "10.0.0.2" }]);
});

test("the addresses of a name come in a new order per answer, and every one of them each time", () => {
  const ctx = context({ random: seeded(7) });
  const orders = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const got = reply("tasks.web", TYPE_A, ctx).answers.map((a) => a.data);
    assert.deepEqual([...got].sort(), names["tasks.web"]?.addresses);
    orders.add(got.join(","));
  }
  assert.ok(orders.size > 1, "the order changes");
});

test("other types of a cluster name, and names with no addresses, get NOERROR with no answer", () => {
  for (const [name, type] of [
    ["web", TYPE_AAAA],
    ["web", 15],
    ["empty", TYPE_A],
    ["tasks.web", TYPE_PTR],
  ] as const) {
    const r = reply(name, type);
    assert.equal(r.rcode, Rcode.NOERROR, name);
    assert.deepEqual(r.answers, [], name);
  }
});

test("PTR of a known address answers the reverse name; unknown addresses and names are forwarded", () => {
  const r = reply("3.0.0.10.in-addr.arpa", TYPE_PTR);
  assert.deepEqual(r.answers, [{ type: TYPE_PTR, ttl: 30, data: "web.1.t1.default" }]);
  for (const [name, type] of [
    ["4.0.0.10.in-addr.arpa", TYPE_PTR],
    ["example.org", TYPE_A],
    ["example.org", TYPE_AAAA],
  ] as const) {
    const d = decide(buildQuery({ id: 5, name, type }), context());
    assert.equal(d.kind, "forward", name);
    if (d.kind === "forward") assert.equal(decodeResponse(d.servfail).rcode, Rcode.SERVFAIL);
  }
  assert.equal(
    decide(buildQuery({ id: 5, name: "3.0.0.10.in-addr.arpa", type: TYPE_PTR }), context({ reverse: undefined })).kind,
    "forward",
  );
});

test("a lookup that throws gives SERVFAIL with the error; malformed queries FORMERR; responses are dropped", () => {
  const boom = new Error("boom");
  const d = decide(
    buildQuery({ id: 1, name: "web", type: TYPE_A }),
    context({
      lookup: () => {
        throw boom;
      },
    }),
  );
  assert.equal(d.kind, "reply");
  if (d.kind === "reply") {
    assert.equal(d.failure, boom);
    assert.equal(decodeResponse(d.response).rcode, Rcode.SERVFAIL);
  }
  const two = buildQuery({ id: 1, name: "web", type: TYPE_A });
  two.writeUInt16BE(2, 4);
  const f = decide(two, context());
  assert.equal(f.kind === "reply" && decodeResponse(f.response).rcode, Rcode.FORMERR);
  const response = buildQuery({ id: 1, name: "web", type: TYPE_A });
  response.writeUInt16BE(0x8000, 2);
  assert.equal(decide(response, context()).kind, "drop");
});

test("reverse names map to addresses; anything else is not one", () => {
  const cases: [string, string | undefined][] = [
    ["4.3.2.1.in-addr.arpa", "1.2.3.4"],
    ["3.2.1.in-addr.arpa", undefined],
    ["5.4.3.2.1.in-addr.arpa", undefined],
    ["256.3.2.1.in-addr.arpa", undefined],
    ["4.3.2.1.ip6.arpa", undefined],
    ["web", undefined],
  ];
  for (const [name, want] of cases) assert.equal(reverseAddress(name), want, name);
});

test("shuffling keeps every item and is a function of the random source", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = shuffled(items, seeded(3));
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    items,
  );
  assert.deepEqual(shuffled(items, seeded(3)), a);
  assert.notDeepEqual(a, items);
  assert.deepEqual(
    shuffled(items, () => 0.999999999),
    shuffled(items, () => 0.999999999),
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answers,
  buildQuery,
  buildResponse,
  parseQuery,
  Rcode,
  readMessageKey,
  TYPE_A,
  TYPE_AAAA,
  TYPE_PTR,
  udpLimit,
  withId,
  type DnsRecord,
} from "./message.js";
import { decide } from "./resolve.js";
import { decodeResponse, seeded } from "./testing.js";

function mustParse(buf: Buffer) {
  const parsed = parseQuery(buf);
  assert.equal(parsed.kind, "query", JSON.stringify(parsed));
  if (parsed.kind !== "query") throw new Error("unreachable");
  return parsed.query;
}

test("a query parses into id, RD, the question as sent and lower-cased, and its EDNS0 size", () => {
  const q = mustParse(buildQuery({ id: 0xbeef, name: "WeB.Default.", type: TYPE_AAAA, udpSize: 1232 }));
  assert.equal(q.id, 0xbeef);
  assert.equal(q.recursionDesired, true);
  assert.equal(q.question.name, "web.default");
  assert.deepEqual(
    q.question.labels.map((l) => l.toString()),
    ["WeB", "Default"],
  );
  assert.equal(q.question.type, TYPE_AAAA);
  assert.deepEqual(q.edns, { udpSize: 1232, version: 0 });
  assert.equal(mustParse(buildQuery({ id: 1, name: "x", type: TYPE_A })).edns, undefined);
});

test("names with a dot or an unprintable byte inside a label have no text, so they are never cluster names", () => {
  const query = buildQuery({ id: 1, name: "ab.c", type: TYPE_A });
  query[13] = 0x2e; // "a.", one label holding a dot
  assert.equal(mustParse(query).question.name, undefined);
  query[13] = 0x00;
  assert.equal(mustParse(query).question.name, undefined);
});

test("compressed names are read when following pointers, in the additional section and in answers", () => {
  // An OPT record whose owner is a pointer to the root label at the end of the question's name.
  const plain = buildQuery({ id: 7, name: "a.b", type: TYPE_A });
  const rootAt = 12 + 4; // 1 a 1 b 0
  const opt = Buffer.from([0xc0, rootAt, 0, 41, 0x04, 0x00, 0, 0, 0, 0, 0, 0]);
  const withPointer = Buffer.concat([plain, opt]);
  withPointer.writeUInt16BE(1, 10);
  assert.deepEqual(mustParse(withPointer).edns, { udpSize: 1024, version: 0 });

  const response = buildResponse({
    id: 7,
    recursionDesired: true,
    rcode: Rcode.NOERROR,
    authoritative: true,
    question: mustParse(plain).question,
    answers: [{ type: TYPE_A, ttl: 5, address: "10.0.0.9" }],
    edns: undefined,
  });
  assert.equal(response.readUInt16BE(12 + 5 + 4), 0xc00c, "the answer's owner is a pointer to the question");
  assert.deepEqual(decodeResponse(response).answers, [{ type: TYPE_A, ttl: 5, data: "10.0.0.9" }]);
});

test("malformed or unsupported queries are dropped or refused with the right code", () => {
  const good = buildQuery({ id: 0x1234, name: "a.b", type: TYPE_A });
  const edit = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good);
    f(b);
    return b;
  };
  const optOf = (version: number): Buffer => Buffer.from([0, 0, 41, 0x10, 0, 0, version, 0, 0, 0, 0]);
  const withRecords = (count: number, ...records: Buffer[]): Buffer => {
    const b = Buffer.concat([good, ...records]);
    b.writeUInt16BE(count, 10);
    return b;
  };
  const cases: { name: string; bytes: Buffer; want: "drop" | number }[] = [
    { name: "shorter than a header", bytes: good.subarray(0, 11), want: "drop" },
    { name: "a response", bytes: edit((b) => b.writeUInt16BE(0x8100, 2)), want: "drop" },
    { name: "no question", bytes: edit((b) => b.writeUInt16BE(0, 4)), want: Rcode.FORMERR },
    { name: "two questions", bytes: edit((b) => b.writeUInt16BE(2, 4)), want: Rcode.FORMERR },
    { name: "header only", bytes: good.subarray(0, 12), want: Rcode.FORMERR },
    { name: "name cut short", bytes: good.subarray(0, 15), want: Rcode.FORMERR },
    { name: "type cut short", bytes: good.subarray(0, good.length - 1), want: Rcode.FORMERR },
    { name: "label of an unknown type", bytes: edit((b) => b.writeUInt8(0x41, 12)), want: Rcode.FORMERR },
    { name: "pointer to itself", bytes: edit((b) => b.writeUInt16BE(0xc00c, 12)), want: Rcode.FORMERR },
    { name: "opcode STATUS", bytes: edit((b) => b.writeUInt16BE(0x1100, 2)), want: Rcode.NOTIMP },
    { name: "an additional record missing", bytes: withRecords(1), want: Rcode.FORMERR },
    { name: "two OPT records", bytes: withRecords(2, optOf(0), optOf(0)), want: Rcode.FORMERR },
    { name: "EDNS version 1", bytes: withRecords(1, optOf(1)), want: Rcode.BADVERS },
  ];
  for (const c of cases) {
    const parsed = parseQuery(c.bytes);
    if (c.want === "drop") {
      assert.equal(parsed.kind, "drop", c.name);
      continue;
    }
    assert.equal(parsed.kind, "refuse", c.name);
    if (parsed.kind !== "refuse") continue;
    assert.equal(parsed.rcode, c.want, c.name);
    assert.equal(parsed.id, 0x1234, c.name);
    const decoded = decodeResponse(buildResponse({ ...parsed, authoritative: false, answers: [] }));
    assert.equal(decoded.rcode, c.want, `${c.name}: the encoded rcode`);
    assert.equal(decoded.id, 0x1234, c.name);
  }
});

test("responses echo the question, set the flags and carry an OPT record when the query had one", () => {
  const q = mustParse(buildQuery({ id: 42, name: "TaSkS.Web", type: TYPE_A, udpSize: 1400 }));
  const decoded = decodeResponse(
    buildResponse({
      ...q,
      rcode: Rcode.NOERROR,
      authoritative: true,
      answers: [
        { type: TYPE_A, ttl: 600, address: "10.0.0.2" },
        { type: TYPE_PTR, ttl: 30, target: "web.1.abc.default" },
      ],
    }),
  );
  assert.deepEqual(decoded, {
    id: 42,
    response: true,
    authoritative: true,
    truncated: false,
    recursionDesired: true,
    rcode: Rcode.NOERROR,
    question: { name: "TaSkS.Web", type: TYPE_A },
    answers: [
      { type: TYPE_A, ttl: 600, data: "10.0.0.2" },
      { type: TYPE_PTR, ttl: 30, data: "web.1.abc.default" },
    ],
    opt: { udpSize: 4096 },
  });
});

test("answers that do not fit the size limit are left out and TC is set", () => {
  const many: DnsRecord[] = Array.from({ length: 100 }, (_, i) => ({
    type: TYPE_A,
    ttl: 1,
    address: `10.0.1.${String(i)}`,
  }));
  for (const udpSize of [undefined, 1232]) {
    const q = mustParse(
      buildQuery({ id: 9, name: "tasks.x", type: TYPE_A, ...(udpSize === undefined ? {} : { udpSize }) }),
    );
    const limit = udpLimit(q.edns);
    const bytes = buildResponse({ ...q, rcode: Rcode.NOERROR, authoritative: true, answers: many, maxSize: limit });
    const decoded = decodeResponse(bytes);
    assert.ok(bytes.length <= limit, `${String(bytes.length)} <= ${String(limit)}`);
    assert.ok(bytes.length > limit - 16, "as many answers as fit");
    assert.equal(decoded.truncated, true);
    assert.ok(decoded.answers.length > 0 && decoded.answers.length < 100);
    assert.equal(decoded.opt !== undefined, udpSize !== undefined, "the OPT record is kept");
    const whole = decodeResponse(buildResponse({ ...q, rcode: Rcode.NOERROR, authoritative: true, answers: many }));
    assert.equal(whole.truncated, false);
    assert.equal(whole.answers.length, 100);
  }
});

test("the UDP limit is 512 without EDNS0 and the client's size within 512..4096 with it", () => {
  const cases: [number | undefined, number][] = [
    [undefined, 512],
    [100, 512],
    [1232, 1232],
    [4096, 4096],
    [65535, 4096],
  ];
  for (const [size, want] of cases)
    assert.equal(udpLimit(size === undefined ? undefined : { udpSize: size, version: 0 }), want);
});

test("an upstream's answer matches a query by id and question, case-insensitively; others do not", () => {
  const query = buildQuery({ id: 100, name: "Example.ORG", type: TYPE_A });
  const reply = (id: number, name: string, type = TYPE_A): Buffer => {
    const q = mustParse(buildQuery({ id, name, type }));
    return buildResponse({ ...q, rcode: Rcode.NOERROR, authoritative: false, answers: [] });
  };
  assert.ok(answers(reply(100, "example.org"), query));
  assert.ok(answers(reply(100, "EXAMPLE.org"), query));
  assert.ok(!answers(reply(101, "example.org"), query), "another id");
  assert.ok(!answers(reply(100, "example.net"), query), "another name");
  assert.ok(!answers(reply(100, "example.org", TYPE_AAAA), query), "another type");
  assert.ok(!answers(query, query), "a query is no answer");
  assert.ok(!answers(Buffer.from([1, 2, 3]), query), "garbage");
  assert.deepEqual(readMessageKey(withId(query, 7)), {
    id: 7,
    response: false,
    truncated: false,
    question: { name: "example.org", type: TYPE_A, class: 1 },
  });
});

test("random bytes and mutated queries never make the parser or the resolver throw", () => {
  const seed = 20261123;
  const random = seeded(seed);
  const byte = (): number => Math.floor(random() * 256);
  const valid = buildQuery({ id: 1, name: "tasks.web.default", type: TYPE_A, udpSize: 1232 });
  const ctx = {
    client: "10.0.0.2",
    transport: "udp" as const,
    lookup: () => ({ addresses: ["10.0.0.3", "10.0.0.4"], ttl: 1 }),
    reverse: () => "x",
    random,
    reverseTtl: 1,
  };
  for (let i = 0; i < 20_000; i++) {
    let bytes: Buffer;
    if (i % 2 === 0) {
      bytes = Buffer.from(Array.from({ length: Math.floor(random() * 64) }, byte));
    } else {
      bytes = Buffer.from(valid);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--)
        bytes[Math.floor(random() * bytes.length)] = byte();
      bytes = bytes.subarray(0, Math.max(0, bytes.length - Math.floor(random() * 4)));
    }
    assert.doesNotThrow(
      () => {
        decide(bytes, ctx);
        readMessageKey(bytes);
      },
      `seed ${String(seed)}, case ${String(i)}: ${bytes.toString("hex")}`,
    );
  }
});

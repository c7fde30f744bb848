/**
 * The DNS wire format the node's resolver needs (RFC 1035 header and question, A and PTR answers, name
 * compression when reading, the EDNS0 OPT record of RFC 6891). Pure: bytes in, bytes out, no sockets.
 */

export const TYPE_A = 1;
export const TYPE_PTR = 12;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const CLASS_IN = 1;

/** Response codes; BADVERS (16) is an extended code that only an OPT record can carry. */
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 } as const;

/** The UDP payload every client can take without EDNS0, and the most this server sends over UDP with it. */
export const UDP_PLAIN_SIZE = 512;
export const UDP_MAX_SIZE = 4096;

const HEADER_SIZE = 12;
const MAX_NAME_LENGTH = 255;
const MAX_LABEL_LENGTH = 63;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;

/** One question. `labels` keep the bytes exactly as sent (0x20 case randomisation is echoed back). */
export interface DnsQuestion {
  readonly labels: readonly Buffer[];
  /** Lower-case text without the trailing dot ("" for the root); undefined when a label holds a dot or a byte outside printable ASCII. */
  readonly name: string | undefined;
  readonly type: number;
  readonly class: number;
}

/** The EDNS0 OPT record of a query. */
export interface Edns {
  readonly udpSize: number;
  readonly version: number;
}

/** A query that can be answered. */
export interface DnsQuery {
  readonly id: number;
  readonly recursionDesired: boolean;
  readonly question: DnsQuestion;
  readonly edns: Edns | undefined;
}

/** What parseQuery() makes of a datagram or TCP frame. */
export type ParsedQuery =
  | { readonly kind: "query"; readonly query: DnsQuery }
  /** The header could be read but the query cannot be answered: reply with `rcode` (FORMERR, NOTIMP, BADVERS). */
  | {
      readonly kind: "refuse";
      readonly id: number;
      readonly recursionDesired: boolean;
      readonly rcode: number;
      readonly question: DnsQuestion | undefined;
      readonly edns: Edns | undefined;
      readonly reason: string;
    }
  /** Not a query, or not even a header: send nothing. */
  | { readonly kind: "drop"; readonly reason: string };

/** A record of an answer this server makes. */
export type DnsRecord =
  | { readonly type: typeof TYPE_A; readonly ttl: number; readonly address: string }
  | { readonly type: typeof TYPE_PTR; readonly ttl: number; readonly target: string };

/** What buildResponse() encodes. */
export interface ResponseSpec {
  readonly id: number;
  readonly recursionDesired: boolean;
  readonly rcode: number;
  readonly authoritative: boolean;
  readonly question: DnsQuestion | undefined;
  readonly answers: readonly DnsRecord[];
  /** The query's OPT record; when set, the response carries one too (RFC 6891 6.1.1). */
  readonly edns: Edns | undefined;
  /** The most bytes the response may take (UDP); answers that do not fit are left out and TC is set. */
  readonly maxSize?: number;
}

/** A message cannot be read: it ends early, or a name or record is invalid. */
export class Malformed extends Error {}

/** A bounds-checked reader over one message; each read throws Malformed when the bytes run out. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
  ) {}

  u8(): number {
    if (this.pos + 1 > this.buf.length) throw new Malformed("message ends inside a field");
    return this.buf.readUInt8(this.pos++);
  }

  u16(): number {
    if (this.pos + 2 > this.buf.length) throw new Malformed("message ends inside a field");
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    if (this.pos + 4 > this.buf.length) throw new Malformed("message ends inside a field");
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  skip(n: number): void {
    if (this.pos + n > this.buf.length) throw new Malformed("message ends inside a record");
    this.pos += n;
  }

  /** Reads a name, following compression pointers (which must point backwards, so they cannot loop). */
  name(): Buffer[] {
    const labels: Buffer[] = [];
    let length = 1;
    let at = this.pos;
    let jumped = false;
    for (;;) {
      if (at >= this.buf.length) throw new Malformed("message ends inside a name");
      const len = this.buf.readUInt8(at);
      if ((len & 0xc0) === 0xc0) {
        if (at + 2 > this.buf.length) throw new Malformed("message ends inside a name pointer");
        const target = this.buf.readUInt16BE(at) & 0x3fff;
        if (target >= at) throw new Malformed("a name pointer points forward");
        if (!jumped) this.pos = at + 2;
        jumped = true;
        at = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new Malformed("a label has an unknown type");
      if (len === 0) break;
      length += len + 1;
      if (length > MAX_NAME_LENGTH) throw new Malformed("a name is longer than 255 bytes");
      if (at + 1 + len > this.buf.length) throw new Malformed("message ends inside a label");
      labels.push(this.buf.subarray(at + 1, at + 1 + len));
      at += 1 + len;
    }
    if (!jumped) this.pos = at + 1;
    return labels;
  }
}

/** Lower-case text of a name, or undefined when a label holds a dot or a byte outside printable ASCII. */
function nameText(labels: readonly Buffer[]): string | undefined {
  const parts: string[] = [];
  for (const label of labels) {
    for (const byte of label) if (byte <= 0x20 || byte >= 0x7f || byte === 0x2e) return undefined;
    parts.push(label.toString("latin1").toLowerCase());
  }
  return parts.join(".");
}

function readQuestion(r: Reader): DnsQuestion {
  const labels = r.name();
  const type = r.u16();
  const klass = r.u16();
  return { labels, name: nameText(labels), type, class: klass };
}

/** Skips one resource record, returning the OPT record when it is one. */
function readRecord(r: Reader): Edns | undefined {
  const name = r.name();
  const type = r.u16();
  const klass = r.u16();
  const ttl = r.u32();
  r.skip(r.u16());
  if (type !== TYPE_OPT) return undefined;
  if (name.length !== 0) throw new Malformed("an OPT record is not owned by the root");
  return { udpSize: klass, version: (ttl >>> 16) & 0xff };
}

/**
 * Parses a query. A message too short for a header, or one that is a response, is dropped; one whose header
 * can be read but whose body cannot, that asks more than one question, or has more than one OPT record is
 * refused with FORMERR; an opcode other than QUERY gets NOTIMP and an EDNS version other than 0 BADVERS.
 */
export function parseQuery(buf: Buffer): ParsedQuery {
  if (buf.length < HEADER_SIZE) return { kind: "drop", reason: "shorter than a DNS header" };
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  if ((flags & FLAG_QR) !== 0) return { kind: "drop", reason: "a response, not a query" };
  const recursionDesired = (flags & FLAG_RD) !== 0;
  const refuse = (rcode: number, reason: string, question?: DnsQuestion, edns?: Edns): ParsedQuery => ({
    kind: "refuse",
    id,
    recursionDesired,
    rcode,
    question,
    edns,
    reason,
  });
  const opcode = (flags >>> 11) & 0xf;
  if (opcode !== 0) return refuse(Rcode.NOTIMP, `opcode ${String(opcode)} is not QUERY`);
  const qdcount = buf.readUInt16BE(4);
  if (qdcount !== 1) return refuse(Rcode.FORMERR, `${String(qdcount)} questions instead of 1`);
  const r = new Reader(buf, HEADER_SIZE);
  let question: DnsQuestion;
  try {
    question = readQuestion(r);
  } catch (err) {
    return refuse(Rcode.FORMERR, err instanceof Malformed ? err.message : String(err));
  }
  let edns: Edns | undefined;
  try {
    const records = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
    for (let i = 0; i < records; i++) {
      const opt = readRecord(r);
      if (opt === undefined) continue;
      if (edns !== undefined) throw new Malformed("more than one OPT record");
      edns = opt;
    }
  } catch (err) {
    return refuse(Rcode.FORMERR, err instanceof Malformed ? err.message : String(err), question);
  }
  if (edns !== undefined && edns.version !== 0) {
    return refuse(Rcode.BADVERS, `EDNS version ${String(edns.version)} is not 0`, question, edns);
  }
  return { kind: "query", query: { id, recursionDesired, question, edns } };
}

/** The largest UDP response a query allows: 512 bytes, or its EDNS0 payload size capped at 4096. */
export function udpLimit(edns: Edns | undefined): number {
  if (edns === undefined) return UDP_PLAIN_SIZE;
  return Math.min(Math.max(edns.udpSize, UDP_PLAIN_SIZE), UDP_MAX_SIZE);
}

function encodeName(labels: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) parts.push(Buffer.from([label.length]), label);
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Encodes a name given as text ("a.b.c", a trailing dot or none). */
export function encodeTextName(name: string): Buffer {
  return encodeName(textLabels(name));
}

function textLabels(name: string): Buffer[] {
  return name
    .split(".")
    .filter((l) => l.length > 0)
    .map((l) => Buffer.from(l.slice(0, MAX_LABEL_LENGTH), "latin1"));
}

function encodeRecord(rec: DnsRecord): Buffer {
  let rdata: Buffer;
  if (rec.type === TYPE_A) {
    rdata = Buffer.from(rec.address.split(".").map(Number));
  } else {
    rdata = encodeTextName(rec.target);
  }
  const fixed = Buffer.alloc(12);
  // The owner is the question's name, at offset 12 of every response (a compression pointer).
  fixed.writeUInt16BE(0xc000 | HEADER_SIZE, 0);
  fixed.writeUInt16BE(rec.type, 2);
  fixed.writeUInt16BE(CLASS_IN, 4);
  fixed.writeUInt32BE(Math.max(0, Math.min(Math.floor(rec.ttl), 0x7fffffff)), 6);
  fixed.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([fixed, rdata]);
}

function encodeOpt(rcode: number): Buffer {
  const opt = Buffer.alloc(11);
  opt.writeUInt8(0, 0);
  opt.writeUInt16BE(TYPE_OPT, 1);
  opt.writeUInt16BE(UDP_MAX_SIZE, 3);
  opt.writeUInt8(rcode >>> 4, 5);
  return opt;
}

/**
 * Encodes a response. The question is echoed with its bytes as sent; answers name it by a compression
 * pointer. With `maxSize`, only the answers that fit are kept and TC is set when any were left out (the OPT
 * record is always kept, as RFC 6891 asks).
 */
export function buildResponse(spec: ResponseSpec): Buffer {
  const question =
    spec.question === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([encodeName(spec.question.labels), u16pair(spec.question.type, spec.question.class)]);
  const opt = spec.edns === undefined ? Buffer.alloc(0) : encodeOpt(spec.rcode);
  const budget = (spec.maxSize ?? Infinity) - HEADER_SIZE - question.length - opt.length;
  const answers: Buffer[] = [];
  let used = 0;
  let truncated = false;
  if (spec.question !== undefined) {
    for (const rec of spec.answers) {
      const bytes = encodeRecord(rec);
      if (used + bytes.length > budget) {
        truncated = true;
        break;
      }
      answers.push(bytes);
      used += bytes.length;
    }
  }
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt16BE(spec.id, 0);
  let flags = FLAG_QR | FLAG_RA | (spec.rcode & 0xf);
  if (spec.authoritative) flags |= FLAG_AA;
  if (spec.recursionDesired) flags |= FLAG_RD;
  if (truncated) flags |= FLAG_TC;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(spec.question === undefined ? 0 : 1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(spec.edns === undefined ? 0 : 1, 10);
  return Buffer.concat([header, question, ...answers, opt]);
}

function u16pair(a: number, b: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt16BE(a, 0);
  out.writeUInt16BE(b, 2);
  return out;
}

/** What identifies a message: its id, whether it is a response, and its question (name lower-cased). */
export interface MessageKey {
  readonly id: number;
  readonly response: boolean;
  readonly truncated: boolean;
  readonly question: { readonly name: string; readonly type: number; readonly class: number } | undefined;
}

/** Reads the id and question of any message (an upstream's answer), or undefined when they cannot be read. */
export function readMessageKey(buf: Buffer): MessageKey | undefined {
  if (buf.length < HEADER_SIZE) return undefined;
  const flags = buf.readUInt16BE(2);
  const key = { id: buf.readUInt16BE(0), response: (flags & FLAG_QR) !== 0, truncated: (flags & FLAG_TC) !== 0 };
  if (buf.readUInt16BE(4) !== 1) return { ...key, question: undefined };
  try {
    const q = readQuestion(new Reader(buf, HEADER_SIZE));
    const name = q.labels.map((l) => l.toString("latin1").toLowerCase()).join(".");
    return { ...key, question: { name, type: q.type, class: q.class } };
  } catch {
    return undefined;
  }
}

/**
 * True when `answer` is the response to `query`: it is a response with the same id and the same question
 * (names compared case-insensitively, since some servers do not keep 0x20 randomised case).
 */
export function answers(answer: Buffer, query: Buffer): boolean {
  const a = readMessageKey(answer);
  const q = readMessageKey(query);
  if (a === undefined || q === undefined || !a.response || q.response || a.id !== q.id) return false;
  if (a.question === undefined || q.question === undefined) return false;
  return (
    a.question.name === q.question.name && a.question.type === q.question.type && a.question.class === q.question.class
  );
}

/** A copy of a message with another id. */
export function withId(buf: Buffer, id: number): Buffer {
  const out = Buffer.from(buf);
  out.writeUInt16BE(id & 0xffff, 0);
  return out;
}

/** Encodes a query (for clients and probes): one question, RD set, and an OPT record when `udpSize` is given. */
export function buildQuery(q: { id: number; name: string; type: number; udpSize?: number }): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt16BE(q.id & 0xffff, 0);
  header.writeUInt16BE(FLAG_RD, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(q.udpSize === undefined ? 0 : 1, 10);
  const opt = Buffer.alloc(q.udpSize === undefined ? 0 : 11);
  if (q.udpSize !== undefined) {
    opt.writeUInt16BE(TYPE_OPT, 1);
    opt.writeUInt16BE(q.udpSize, 3);
  }
  return Buffer.concat([header, encodeTextName(q.name), u16pair(q.type, CLASS_IN), opt]);
}

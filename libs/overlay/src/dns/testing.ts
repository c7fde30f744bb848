import { Reader, TYPE_A, TYPE_OPT, TYPE_PTR } from "./message.js";

/** A response read back for tests: flags, rcode, question, answers and the OPT record. */
export interface DecodedResponse {
  readonly id: number;
  readonly response: boolean;
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  /** The full rcode (with the OPT record's extended bits). */
  readonly rcode: number;
  readonly question: { readonly name: string; readonly type: number } | undefined;
  readonly answers: readonly { readonly type: number; readonly ttl: number; readonly data: string }[];
  readonly opt: { readonly udpSize: number } | undefined;
}

/** Decodes a whole response (names kept as sent; A data as dotted quads, PTR data as names). */
export function decodeResponse(buf: Buffer): DecodedResponse {
  const r = new Reader(buf, 0);
  const id = r.u16();
  const flags = r.u16();
  const [qd, an, ns, ar] = [r.u16(), r.u16(), r.u16(), r.u16()];
  const text = (labels: Buffer[]): string => labels.map((l) => l.toString("latin1")).join(".");
  let question: DecodedResponse["question"];
  if (qd === 1) {
    question = { name: text(r.name()), type: r.u16() };
    r.u16();
  }
  const answers: { type: number; ttl: number; data: string }[] = [];
  let opt: DecodedResponse["opt"];
  let extended = 0;
  for (let i = 0; i < an + ns + ar; i++) {
    r.name();
    const type = r.u16();
    const klass = r.u16();
    const ttl = r.u32();
    const length = r.u16();
    const start = r.pos;
    if (type === TYPE_OPT) {
      opt = { udpSize: klass };
      extended = ttl >>> 24;
    } else if (i < an) {
      const data =
        type === TYPE_A ? [...buf.subarray(start, start + length)].join(".") : type === TYPE_PTR ? text(r.name()) : "";
      answers.push({ type, ttl, data });
    }
    r.pos = start;
    r.skip(length);
  }
  return {
    id,
    response: (flags & 0x8000) !== 0,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    rcode: (extended << 4) | (flags & 0xf),
    question,
    answers,
    opt,
  };
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so shuffles and fuzzing replay. */
export function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type Snapshot,
  type SnapshotMeta,
  ConfChangeType,
  EntryType,
  MessageType,
} from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import { ByteReader, ByteWriter } from "./bytes.js";

/**
 * Binary codecs of the Raft types, shared by the WAL and the transport. Numbers are unsigned varints, byte
 * strings are length-prefixed; decoders validate enums and throw {@link RaftCorruptionError} on bad input.
 */

export function writeEntry(w: ByteWriter, e: Entry): void {
  w.uvarint(e.term).uvarint(e.index).u8(e.type).bytes(e.data);
}

export function readEntry(r: ByteReader): Entry {
  const term = r.uvarint();
  const index = r.uvarint();
  const type = r.u8();
  if (!(type in EntryType)) throw new RaftCorruptionError(`raft: unknown entry type ${type}`);
  return { term, index, type: type, data: r.bytes() };
}

export function writeHardState(w: ByteWriter, hs: HardState): void {
  w.uvarint(hs.term).uvarint(hs.vote).uvarint(hs.commit);
}

export function readHardState(r: ByteReader): HardState {
  return { term: r.uvarint(), vote: r.uvarint(), commit: r.uvarint() };
}

function writeIds(w: ByteWriter, ids: readonly number[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.uvarint(id);
}

function readIds(r: ByteReader): number[] {
  const n = r.uvarint();
  if (n > r.remaining) throw new RaftCorruptionError("raft: id list longer than its record");
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(r.uvarint());
  return out;
}

export function writeConfState(w: ByteWriter, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
  writeIds(w, cs.removed);
}

export function readConfState(r: ByteReader): ConfState {
  return { voters: readIds(r), learners: readIds(r), removed: readIds(r) };
}

export function writeSnapshotMeta(w: ByteWriter, m: SnapshotMeta): void {
  w.uvarint(m.index).uvarint(m.term);
  writeConfState(w, m.conf);
}

export function readSnapshotMeta(r: ByteReader): SnapshotMeta {
  const index = r.uvarint();
  const term = r.uvarint();
  return { index, term, conf: readConfState(r) };
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(cc.type).uvarint(cc.nodeId).bytes(cc.context);
  return w.finish().slice();
}

export function decodeConfChange(b: Uint8Array): ConfChange {
  const r = new ByteReader(b);
  const type = r.u8();
  if (!(type in ConfChangeType)) throw new RaftCorruptionError(`raft: unknown conf change type ${type}`);
  const nodeId = r.uvarint();
  const context = r.bytes().slice();
  r.end();
  return { type: type, nodeId, context };
}

/** Flags byte of an encoded message. */
const F_REJECT = 1;
const F_SNAPSHOT = 2;

export function writeMessage(w: ByteWriter, m: Message): void {
  w.u8(m.type)
    .uvarint(m.from)
    .uvarint(m.to)
    .uvarint(m.term)
    .uvarint(m.logTerm)
    .uvarint(m.index)
    .uvarint(m.commit)
    .uvarint(m.rejectHint)
    .u8((m.reject ? F_REJECT : 0) | (m.snapshot ? F_SNAPSHOT : 0))
    .bytes(m.context);
  w.uvarint(m.entries.length);
  for (const e of m.entries) writeEntry(w, e);
  if (m.snapshot) {
    writeSnapshotMeta(w, m.snapshot.meta);
    w.bytes(m.snapshot.data);
  }
}

export function readMessage(r: ByteReader): Message {
  const type = r.u8();
  if (!(type in MessageType)) throw new RaftCorruptionError(`raft: unknown message type ${type}`);
  const from = r.uvarint();
  const to = r.uvarint();
  const term = r.uvarint();
  const logTerm = r.uvarint();
  const index = r.uvarint();
  const commit = r.uvarint();
  const rejectHint = r.uvarint();
  const flags = r.u8();
  const context = r.bytes();
  const n = r.uvarint();
  if (n > r.remaining) throw new RaftCorruptionError("raft: entry count longer than its message");
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push(readEntry(r));
  let snapshot: Snapshot | null = null;
  if (flags & F_SNAPSHOT) {
    const meta = readSnapshotMeta(r);
    snapshot = { meta, data: r.bytes() };
  }
  return {
    type: type,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    rejectHint,
    reject: (flags & F_REJECT) !== 0,
    context,
    entries,
    snapshot,
  };
}

/** Encodes one message into a fresh buffer. */
export function encodeMessage(m: Message): Uint8Array {
  let size = 64 + m.context.byteLength + (m.snapshot ? m.snapshot.data.byteLength + 64 : 0);
  for (const e of m.entries) size += e.data.byteLength + 24;
  const w = new ByteWriter(size);
  writeMessage(w, m);
  return w.finish();
}

/** Decodes one message; the whole buffer must be the message. */
export function decodeMessage(b: Uint8Array): Message {
  const r = new ByteReader(b);
  const m = readMessage(r);
  r.end();
  return m;
}

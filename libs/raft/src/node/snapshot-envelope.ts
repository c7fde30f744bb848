import { ByteReader, ByteWriter } from "../codec/bytes.js";
import type { NodeId } from "../core/types.js";

/**
 * What a RaftNode stores in a snapshot: the members' addresses (which the log no longer holds once it is
 * compacted) and the application's own bytes.
 */
export interface SnapshotEnvelope {
  readonly members: ReadonlyMap<NodeId, string>;
  readonly app: Uint8Array;
}

const VERSION = 1;

export function encodeEnvelope(env: SnapshotEnvelope): Uint8Array {
  const w = new ByteWriter(64 + env.app.byteLength);
  w.u8(VERSION).uvarint(env.members.size);
  for (const [id, addr] of [...env.members].sort((a, b) => a[0] - b[0])) w.uvarint(id).bytes(Buffer.from(addr, "utf8"));
  w.bytes(env.app);
  return w.finish();
}

/** Decodes an envelope; the empty snapshot of a new node decodes to no members and no data. */
export function decodeEnvelope(b: Uint8Array): SnapshotEnvelope {
  if (b.byteLength === 0) return { members: new Map(), app: new Uint8Array(0) };
  const r = new ByteReader(b);
  r.u8();
  const n = r.uvarint();
  const members = new Map<NodeId, string>();
  for (let i = 0; i < n; i++) {
    const id = r.uvarint();
    members.set(id, Buffer.from(r.bytes()).toString("utf8"));
  }
  const app = r.bytes();
  r.end();
  return { members, app };
}

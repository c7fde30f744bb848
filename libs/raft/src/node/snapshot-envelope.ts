import { ByteReader, ByteWriter } from "../codec/bytes.js";
import type { NodeId } from "../core/types.js";
import { RaftCorruptionError } from "../errors.js";
import type { Member } from "./member.js";

/**
 * What a RaftNode stores in a snapshot: the members' addresses and identities (which the log no longer holds
 * once it is compacted) and the application's own bytes.
 */
export interface SnapshotEnvelope {
  readonly members: ReadonlyMap<NodeId, Member>;
  readonly app: Uint8Array;
}

/** Version 1 held addresses only; version 2 adds each member's node id. */
const VERSION = 2;

/** `u8 2 | uvarint n | n × (uvarint id | bytes address | u8 hasNodeId | [bytes nodeId]) | bytes app`. */
export function encodeEnvelope(env: SnapshotEnvelope): Uint8Array {
  const w = new ByteWriter(64 + env.app.byteLength);
  w.u8(VERSION).uvarint(env.members.size);
  for (const [id, m] of [...env.members].sort((a, b) => a[0] - b[0])) {
    w.uvarint(id).bytes(Buffer.from(m.address, "utf8"));
    if (m.nodeId === undefined) w.u8(0);
    else w.u8(1).bytes(Buffer.from(m.nodeId, "utf8"));
  }
  w.bytes(env.app);
  return w.finish();
}

/**
 * Decodes an envelope; the empty snapshot of a new node decodes to no members and no data. A version 1
 * envelope's members have no node id (`nodeId: undefined`).
 */
export function decodeEnvelope(b: Uint8Array): SnapshotEnvelope {
  if (b.byteLength === 0) return { members: new Map(), app: new Uint8Array(0) };
  const r = new ByteReader(b);
  const version = r.u8();
  if (version !== 1 && version !== VERSION) {
    throw new RaftCorruptionError(`raft: snapshot envelope of version ${version} (this node reads 1 and ${VERSION})`);
  }
  const n = r.uvarint();
  const members = new Map<NodeId, Member>();
  for (let i = 0; i < n; i++) {
    const id = r.uvarint();
    const address = Buffer.from(r.bytes()).toString("utf8");
    const nodeId = version > 1 && r.u8() === 1 ? Buffer.from(r.bytes()).toString("utf8") : undefined;
    members.set(id, { address, nodeId });
  }
  const app = r.bytes();
  r.end();
  return { members, app };
}

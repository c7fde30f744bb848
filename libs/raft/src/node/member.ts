import { ByteReader, ByteWriter } from "../codec/bytes.js";
import { RaftCorruptionError } from "../errors.js";

/**
 * A member as the membership records it: where it listens, and who it is. `nodeId` is the identity an
 * authenticating transport requires the member to prove (in Shoal, the node id its manager certificate names);
 * it is not its Raft id. Undefined when the membership records none: a member added by a version that recorded
 * addresses only, which an identity check refuses.
 */
export interface Member {
  readonly address: string;
  readonly nodeId?: string | undefined;
}

/** A member and its Raft id, as bootstrap lists and join replies give them. */
export interface MemberOf extends Member {
  readonly id: number;
}

/**
 * The first byte of a versioned member context. A context of an earlier version is the address alone, in UTF-8,
 * which never starts with a zero byte.
 */
const VERSIONED = 0;
const VERSION = 1;

/**
 * Encodes a member as the context of the conf change that adds it:
 * `u8 0 | u8 version | bytes address | u8 hasNodeId | [bytes nodeId]`.
 */
export function encodeMemberContext(m: Member): Uint8Array {
  const address = new TextEncoder().encode(m.address);
  const w = new ByteWriter(address.byteLength + 64).u8(VERSIONED).u8(VERSION).bytes(address);
  if (m.nodeId === undefined) w.u8(0);
  else w.u8(1).bytes(new TextEncoder().encode(m.nodeId));
  return w.finish().slice();
}

/**
 * Decodes a conf change context. An unversioned one (written before members had identities) is a plain address
 * and reads as `{address, nodeId: undefined}`. Throws {@link RaftCorruptionError} for a versioned context of an
 * unknown version or malformed bytes.
 */
export function decodeMemberContext(context: Uint8Array): Member {
  if (context.byteLength === 0 || context[0] !== VERSIONED) {
    return { address: new TextDecoder().decode(context), nodeId: undefined };
  }
  const r = new ByteReader(context);
  r.u8();
  const version = r.u8();
  if (version !== VERSION) {
    throw new RaftCorruptionError(`raft: member context of version ${version} (this node reads ${VERSION})`);
  }
  const address = new TextDecoder().decode(r.bytes());
  const nodeId = r.u8() === 1 ? new TextDecoder().decode(r.bytes()) : undefined;
  r.end();
  return { address, nodeId };
}

/** Whether two records name the same address and identity. */
export function sameMember(a: Member | undefined, b: Member): boolean {
  return a !== undefined && a.address === b.address && a.nodeId === b.nodeId;
}

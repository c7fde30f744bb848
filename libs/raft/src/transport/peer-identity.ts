import type { NodeId } from "../core/types.js";

/**
 * The store's word on an identity the transport verified: why the node `nodeId` may not take part in Raft now
 * (removed, no longer a manager), or undefined to let it. It may throw; the peer is then refused with the error's
 * message.
 */
export type AuthorizeIdentity = (nodeId: string) => string | undefined;

/**
 * What the membership records as the identity of Raft member `raftId`: the node id, `undefined` for a member
 * recorded without one (added by an earlier version), `null` for an id that is not a member this node knows.
 */
export type ExpectedIdentity = (raftId: NodeId) => string | undefined | null;

/**
 * Why a peer that proved identity `presented` (undefined: it proved none) may not speak as Raft member `claimed`,
 * or undefined to accept. Checks, in order: `claimed` is a member this node knows; the membership records an
 * identity for it (a member added by an earlier version has none, so clusters mixing versions cannot form); the
 * peer proved exactly that identity; `authorize` lets it take part. Pure but for `authorize`; used by the TCP
 * transport on each Hello and by the memory transport on each message.
 */
export function identityRefusal(
  claimed: NodeId,
  expected: string | undefined | null,
  presented: string | undefined,
  authorize?: AuthorizeIdentity,
): string | undefined {
  if (expected === null) return `raft: node ${claimed} is not a member this node knows`;
  if (expected === undefined) {
    return (
      `raft: the membership records no node identity for member ${claimed} (it was added by an earlier version, ` +
      "and versions that record none cannot form a cluster with this one)"
    );
  }
  if (presented === undefined) return `raft: the peer claiming member ${claimed} proved no identity`;
  if (presented !== expected) {
    return `raft: the peer is node ${presented}, but member ${claimed} is node ${expected}`;
  }
  if (!authorize) return undefined;
  let reason: string | undefined;
  try {
    reason = authorize(presented);
  } catch (err) {
    reason = `its check failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  return reason === undefined ? undefined : `raft: node ${presented} (member ${claimed}) may not take part: ${reason}`;
}

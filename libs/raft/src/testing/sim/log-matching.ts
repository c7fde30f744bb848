import type { Entry, NodeId } from "../../core/types.js";
import type { RaftLog } from "../../core/raft-log.js";
import { InvariantViolation } from "./sim-failure.js";

const hashes = new WeakMap<Entry, number>();

/** A 32-bit FNV-1a hash of an entry's type and data (cached per entry object). */
export function entryHash(e: Entry): number {
  let h = hashes.get(e);
  if (h !== undefined) return h;
  h = (0x811c9dc5 ^ e.type) >>> 0;
  for (const b of e.data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  hashes.set(e, h);
  return h;
}

interface Seen {
  readonly hash: number;
  /** The term of the entry before it (-1: not known to the node that showed it first). */
  prevTerm: number;
  readonly node: NodeId;
}

interface Cursor {
  entries: readonly Entry[];
  length: number;
  offset: number;
}

/**
 * The Log Matching property, checked incrementally. Every entry of every log passes through some core's
 * unstable buffer, so it is enough to look at those buffers after each event. For each (index, term) seen, the
 * first content and predecessor term are remembered; any other log showing the same (index, term) with other
 * data or another predecessor term breaks the property (by induction, equal predecessors down to a common
 * snapshot make equal prefixes).
 */
export class LogMatchIndex {
  private readonly seen = new Map<number, Seen>();
  private readonly cursors = new WeakMap<RaftLog, Cursor>();

  /** Checks the unstable entries of `node`'s log, if they changed since the last call. */
  check(node: NodeId, log: RaftLog): void {
    const u = log.unstable;
    const cur = this.cursors.get(log);
    if (cur && cur.entries === u.entries && cur.length === u.entries.length && cur.offset === u.offset) return;
    if (cur) {
      cur.entries = u.entries;
      cur.length = u.entries.length;
      cur.offset = u.offset;
    } else {
      this.cursors.set(log, { entries: u.entries, length: u.entries.length, offset: u.offset });
    }
    let prevTerm = u.entries.length > 0 ? (log.term(u.offset - 1) ?? -1) : -1;
    for (let j = 0; j < u.entries.length; j++) {
      const e = u.entries[j] as Entry;
      if (e.index !== u.offset + j) {
        throw new InvariantViolation(
          "log-matching",
          `node ${node}'s log has entry ${e.index} at position ${u.offset + j}`,
        );
      }
      this.record(node, e, prevTerm);
      prevTerm = e.term;
    }
  }

  private record(node: NodeId, e: Entry, prevTerm: number): void {
    const key = e.index * 2 ** 21 + e.term;
    const hash = entryHash(e);
    const s = this.seen.get(key);
    if (!s) {
      this.seen.set(key, { hash, prevTerm, node });
      return;
    }
    if (s.hash !== hash) {
      throw new InvariantViolation(
        "log-matching",
        `entry ${e.index}@term ${e.term} differs between node ${s.node} and node ${node}`,
      );
    }
    if (prevTerm === -1) return;
    if (s.prevTerm === -1) s.prevTerm = prevTerm;
    else if (s.prevTerm !== prevTerm) {
      throw new InvariantViolation(
        "log-matching",
        `entry ${e.index}@term ${e.term} follows term ${s.prevTerm} on node ${s.node} but term ${prevTerm} on node ${node}`,
      );
    }
  }
}

import { decodeConfChange } from "../../codec/codec.js";
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type NodeId,
  type Ready,
  type Snapshot,
  ConfChangeType,
  EntryType,
  MessageType,
} from "../../core/types.js";

/**
 * Compact, stable text forms of the core's values for scenario outputs. Every line printed by the interaction
 * environment goes through here, so a change of format shows up in every scenario file at once.
 */

const decoder = new TextDecoder();

/** Bytes as a quoted string: `"foo"`, `""` for none. */
export function quote(b: Uint8Array): string {
  return JSON.stringify(decoder.decode(b));
}

/** Ids as `(1,2,3)`. */
export function describeIds(ids: Iterable<NodeId>): string {
  return `(${[...ids].join(",")})`;
}

/** A membership: `voters=(1,2,3) learners=(4)`, plus `removed=(..)` when any id was retired. */
export function describeConf(cs: ConfState): string {
  const removed = cs.removed.length > 0 ? ` removed=${describeIds(cs.removed)}` : "";
  return `voters=${describeIds(cs.voters)} learners=${describeIds(cs.learners)}${removed}`;
}

/** A conf change in the syntax of the `propose-conf-change` command: `add-voter=4`, `add-learner=4`, `remove=3`. */
export function describeConfChange(cc: ConfChange): string {
  switch (cc.type) {
    case ConfChangeType.AddVoter:
      return `add-voter=${cc.nodeId}`;
    case ConfChangeType.AddLearner:
      return `add-learner=${cc.nodeId}`;
    case ConfChangeType.RemoveNode:
      return `remove=${cc.nodeId}`;
  }
}

/** An entry as `term/index EntryNormal "data"` or `term/index EntryConfChange add-voter=4`. */
export function describeEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange)
    return `${e.term}/${e.index} EntryConfChange ${describeConfChange(decodeConfChange(e.data))}`;
  return `${e.term}/${e.index} EntryNormal ${quote(e.data)}`;
}

/** A snapshot's position, membership and state-machine data. */
export function describeSnapshot(s: Snapshot): string {
  return `Index:${s.meta.index} Term:${s.meta.term} ${describeConf(s.meta.conf)} Data:${decoder.decode(s.data)}`;
}

export function describeHardState(hs: HardState): string {
  return `HardState Term:${hs.term} Vote:${hs.vote} Commit:${hs.commit}`;
}

/**
 * One message on one line: `1->2 MsgApp Term:2 Log:1/3 Commit:3 Entries:[2/4 EntryNormal "foo"]`.
 * `Log:t/i` is the term and index of the entry a message refers to (the entry before an append's entries, a
 * candidate's last entry); a rejected append answer shows the index it rejects and the follower's hint as
 * `Hint:t/i`. `sender` is the node that put the message on the wire, when that is not `m.from` (a follower
 * forwarding a transfer request names the transferee in `from`).
 */
export function describeMessage(m: Message, sender: NodeId = m.from): string {
  const parts = [`${sender}->${m.to} Msg${MessageType[m.type]}`];
  if (m.term !== 0) parts.push(`Term:${m.term}`);
  switch (m.type) {
    case MessageType.App:
      parts.push(`Log:${m.logTerm}/${m.index}`, `Commit:${m.commit}`);
      break;
    case MessageType.Vote:
    case MessageType.PreVote:
      parts.push(`Log:${m.logTerm}/${m.index}`);
      break;
    case MessageType.AppResp:
      parts.push(m.reject ? `Rejected Index:${m.index} Hint:${m.logTerm}/${m.rejectHint}` : `Index:${m.index}`);
      break;
    case MessageType.Heartbeat:
      parts.push(`Commit:${m.commit}`);
      break;
    case MessageType.ReadIndexResp:
      parts.push(`Index:${m.index}`);
      break;
    case MessageType.TransferLeader:
      parts.push(`Transferee:${m.from}`);
      break;
    default:
      break;
  }
  if ((m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp) && m.reject) parts.push("Rejected");
  if (m.context.length > 0) parts.push(`Context:${quote(m.context)}`);
  if (m.entries.length > 0) parts.push(`Entries:[${m.entries.map(describeEntry).join(", ")}]`);
  if (m.snapshot) parts.push(`Snapshot:{${describeSnapshot(m.snapshot)}}`);
  return parts.join(" ");
}

/** A Ready of node `id` as a block of lines, with only the parts it holds. */
export function describeReady(rd: Ready, id: NodeId): string[] {
  const out = [`Ready MustSync=${rd.mustSync}:`];
  if (rd.softState) out.push(`Lead:${rd.softState.lead} State:${rd.softState.role}`);
  if (rd.hardState) out.push(describeHardState(rd.hardState));
  if (rd.snapshot) out.push(`Snapshot ${describeSnapshot(rd.snapshot)}`);
  if (rd.entries.length > 0) out.push("Entries:", ...rd.entries.map(describeEntry));
  if (rd.committedEntries.length > 0) out.push("CommittedEntries:", ...rd.committedEntries.map(describeEntry));
  if (rd.messages.length > 0) out.push("Messages:", ...rd.messages.map((m) => describeMessage(m, id)));
  if (rd.readStates.length > 0) {
    out.push("ReadStates:", ...rd.readStates.map((rs) => `Index:${rs.index} Context:${quote(rs.context)}`));
  }
  return out;
}

import { ProgressState } from "../../core/progress.js";
import { Role } from "../../core/types.js";
import { describeConf, describeEntry } from "./format.js";
import type { InteractionNode } from "./node.js";

/**
 * Read-only views of nodes for the `status`, `raft-log`, `raft-state` and `applied` commands. They print what a
 * scenario asserts on, and nothing that changes between runs.
 */

/** `1: leader voter term=2 lead=1`, or `3: down`. */
export function describeRaftState(n: InteractionNode): string {
  if (!n.up) return `${n.id}: down`;
  const r = n.core.raft;
  const kind = r.membership.voters.has(n.id)
    ? "voter"
    : r.membership.learners.has(n.id)
      ? "learner"
      : r.membership.removed.has(n.id)
        ? "removed"
        : "non-member";
  return `${n.id}: ${r.role} ${kind} term=${r.term} lead=${r.lead}`;
}

/**
 * A node's hard and soft state, its membership, and on a leader every member's progress:
 * `2: match=5 next=6 replicate inflight=1/2 active`.
 */
export function describeStatus(n: InteractionNode): string[] {
  const r = n.core.raft;
  const st = n.core.status();
  const out = [
    `${st.id}: ${st.role} term=${st.term} vote=${st.vote} lead=${st.lead} commit=${st.commit} applied=${st.applied} last=${st.lastIndex}`,
    `conf: ${describeConf(st.conf)}`,
  ];
  if (st.leadTransferee !== 0) out.push(`transferring leadership to ${st.leadTransferee}`);
  if (r.role !== Role.Leader) return out;
  for (const [id, pr] of [...r.prs].sort(([a], [b]) => a - b)) {
    if (id === n.id) continue;
    let flow = "";
    if (pr.state === ProgressState.Replicate)
      flow = ` inflight=${pr.inflights.count}/${r.config.maxInflightMsgs}${pr.inflights.full() ? " full" : ""}`;
    else if (pr.state === ProgressState.Probe && pr.probeSent) flow = " probe-sent";
    else if (pr.state === ProgressState.Snapshot) flow = ` pending-snapshot=${pr.pendingSnapshot}`;
    const learner = pr.isLearner ? " learner" : "";
    const active = pr.recentActive ? "active" : "inactive";
    out.push(`${id}:${learner} match=${pr.match} next=${pr.next} ${pr.state}${flow} ${active}`);
  }
  return out;
}

/** The persisted log: the snapshot it starts from (if compacted), then each entry; also works on a down node. */
export function describeLog(n: InteractionNode): string[] {
  const s = n.storage;
  const out: string[] = [];
  const snap = s.snapshot().meta;
  if (snap.index > 0) out.push(`snapshot ${snap.term}/${snap.index} ${describeConf(snap.conf)}`);
  const first = s.firstIndex();
  const last = s.lastIndex();
  if (last >= first) out.push(...s.entries(first, last + 1, Number.MAX_SAFE_INTEGER).map(describeEntry));
  const hs = s.initialState().hardState;
  out.push(`stored: term=${hs.term} vote=${hs.vote} commit=${hs.commit}`);
  return out;
}

/** The application values a node has applied, in order: `1: [a b c]`. */
export function describeApplied(n: InteractionNode): string {
  return `${n.id}: [${n.valuesAt().join(" ")}]`;
}

import type { RaftNode } from "@shoal/raft";
import type { RaftView } from "./raft-view.js";

/** The API's view of a running Raft node: its status, reduced to what the API explains itself with. */
export function raftViewOf(raft: Pick<RaftNode, "status">): RaftView {
  const st = raft.status();
  const match = new Map<number, number>();
  for (const [id, p] of st.progress) match.set(id, p.match);
  return {
    id: st.id,
    leaderId: st.lead,
    term: st.term,
    commitIndex: st.commit,
    lastIndex: st.lastIndex,
    voters: [...st.conf.voters],
    learners: [...st.conf.learners],
    reachable: st.reachable,
    noQuorum: st.noQuorum,
    ...(st.progress.size > 0 ? { match } : {}),
  };
}

import { SHOAL_VERSION, type Info } from "@shoal/api";
import type { RaftNode } from "@shoal/raft";
import type { ClusterStore } from "../store/cluster-store.js";

/** `GET /v1/info`: this manager's version, cluster, Raft state (with the leader's API address) and object counts. */
export function buildInfo(
  raft: RaftNode,
  store: ClusterStore,
  me: { clusterId: string; raftId: number; apiAddr: string },
): Info {
  const st = raft.status();
  const c = store.state.cluster();
  const lead = st.lead ? c?.managers.find((m) => m.raftId === st.lead) : undefined;
  return {
    version: SHOAL_VERSION,
    clusterId: me.clusterId,
    nodeId: String(me.raftId),
    managerAddr: me.apiAddr,
    raft: {
      leader: raft.isLeader(),
      ...(st.lead ? { leaderId: String(st.lead) } : {}),
      ...(lead ? { leaderApiAddr: lead.apiAddr } : {}),
      term: st.term,
      commitIndex: st.commit,
      appliedIndex: st.applied,
    },
    counts: {
      nodes: store.state.list("node").length,
      services: store.state.list("service").length,
      tasks: store.state.list("task").length,
    },
  };
}

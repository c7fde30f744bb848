import type { LoopLog } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";

/**
 * Calls `onRemoved` once when the cluster stops listing manager `raftId` after having listed it (it was
 * demoted, or its node removed): the others no longer replicate to it, so it must stop serving stale state.
 * Returns the function that stops watching.
 */
export function watchRemoval(store: ClusterStore, raftId: number, log: LoopLog, onRemoved: () => void): () => void {
  const listedNow = () => store.state.cluster()?.managers.some((m) => m.raftId === raftId) ?? false;
  let listed = listedNow();
  return store.watch(() => {
    if (listedNow()) listed = true;
    else if (listed) {
      listed = false;
      log.warn("this manager was removed from the cluster's managers; stopping it (the node's agent keeps running)");
      onRemoved();
    }
  });
}

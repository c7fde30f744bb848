import type { StoreEvent, StoreState } from "@shoal/store";
import type { LoopLog } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";
import type { NatsSupervisor, ReloadOutcome } from "./supervisor.js";

/** Whether a batch of store events can change the bus config: nodes, their roles, the managers, the secrets. */
function touchesBus(events: readonly StoreEvent[]): boolean {
  return events.some(
    (e) =>
      e.kind === "cluster" ||
      e.kind === "secret" ||
      (e.kind === "node" && (e.op !== "update" || e.previous?.spec.role !== e.object.spec.role)),
  );
}

/**
 * Keeps a manager's nats-server in step with the store: after every change that can alter its config (a node
 * created or removed, a role changed, the managers or the secrets changed) it renders the config again and, when
 * the text differs, reloads the server (which disconnects the clients and routes no longer authorized). One reload
 * at a time; changes made meanwhile are applied by the next. Each reload is logged with the time it took. Returns
 * the function that stops watching.
 */
export function watchBusConfig(
  store: ClusterStore,
  nats: Pick<NatsSupervisor, "reload">,
  render: (state: StoreState) => string,
  log: LoopLog,
  onReload?: (outcome: ReloadOutcome) => void,
): () => void {
  let running = false;
  let again = false;
  let stopped = false;
  const apply = async () => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        let config: string;
        try {
          config = render(store.state);
        } catch (e) {
          log.warn("cannot render the bus config", { error: (e as Error).message });
          return;
        }
        const outcome = await nats.reload(config);
        if (outcome.result === "reloaded")
          log.info("bus config reloaded", { ms: outcome.ms, nodes: store.state.list("node").length });
        else if (outcome.result === "failed") log.warn("bus config reload failed", { ...outcome });
        onReload?.(outcome);
      } while (again && !stopped);
    } finally {
      running = false;
    }
  };
  const unwatch = store.watch((events) => {
    if (!stopped && touchesBus(events)) void apply();
  });
  return () => {
    stopped = true;
    unwatch();
  };
}

import type { Task } from "@shoal/api";
import { isTerminal } from "@shoal/api";
import type { Command, StoreState } from "@shoal/store";

/**
 * The task reaper: keeps at most `retention` tasks per slot (replicated) or per node (global), newest first,
 * and deletes older ones that ended and are not desired to run. A deleted task leaves its node's assignments,
 * and the agent then removes its container. Pure.
 * Invariant: a slot keeps at least `maxAttempts + 1` tasks of a restart policy with a limit, since the
 * orchestrator counts restarts from the slot's history.
 */
export function reap(state: StoreState, retention: number): Command[] {
  const groups = new Map<string, Task[]>();
  for (const t of state.list("task")) {
    const key = t.slot !== undefined ? `${t.serviceId}/s${t.slot}` : `${t.serviceId}/n${t.nodeId ?? t.id}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const commands: Command[] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    const maxAttempts = list[0]?.spec.restartPolicy.maxAttempts ?? 0;
    const keep = Math.max(retention, 1, maxAttempts > 0 ? maxAttempts + 1 : 0);
    if (list.length <= keep) continue;
    for (const t of list.slice(keep)) {
      if (isTerminal(t.status.state) && t.desiredState !== "running")
        commands.push({ op: "delete", kind: "task", id: t.id, expectedVersion: t.version });
    }
  }
  return commands;
}

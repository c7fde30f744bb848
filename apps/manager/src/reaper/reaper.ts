import type { Task } from "@shoal/api";
import { isTerminal } from "@shoal/api";
import type { Command, StoreState } from "@shoal/store";

/**
 * The task reaper: keeps at most `retention` tasks per slot (replicated) or per node (global), newest first,
 * and deletes older ones that ended and are not desired to run. A deleted task leaves its node's assignments,
 * and the agent then removes its container. Pure.
 */
export function reap(state: StoreState, retention: number): Command[] {
  const groups = new Map<string, Task[]>();
  for (const t of state.list("task")) {
    const key = t.slot !== undefined ? `${t.serviceId}/s${t.slot}` : `${t.serviceId}/n${t.nodeId ?? t.id}`;
    groups.set(key, [...(groups.get(key) ?? []), t]);
  }
  const commands: Command[] = [];
  for (const list of groups.values()) {
    if (list.length <= retention) continue;
    list.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    for (const t of list.slice(Math.max(retention, 1))) {
      if (isTerminal(t.status.state) && t.desiredState !== "running") commands.push({ op: "delete", kind: "task", id: t.id, expectedVersion: t.version });
    }
  }
  return commands;
}

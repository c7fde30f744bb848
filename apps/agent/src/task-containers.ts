import type { ContainerInfo } from "@shoal/runtime";
import { LABEL_TASK } from "./container-spec.js";
import type { LocalContainer } from "./reconcile.js";

/**
 * Shoal's task containers among `infos` (those labelled with their task id, which is their id), as reconcile
 * sees them: status, exit, and health with the last probe's output. Pure.
 */
export function taskContainersOf(infos: readonly ContainerInfo[]): Map<string, LocalContainer> {
  const out = new Map<string, LocalContainer>();
  for (const c of infos) {
    if (c.labels[LABEL_TASK] !== c.id) continue;
    const last = c.health?.log.at(-1);
    out.set(c.id, {
      status: c.status,
      oomKilled: c.oomKilled,
      ...(c.exitCode === undefined ? {} : { exitCode: c.exitCode }),
      ...(c.error === undefined ? {} : { error: c.error }),
      ...(c.health ? { health: c.health.status } : {}),
      ...(last ? { healthOutput: last.output.trim() } : {}),
    });
  }
  return out;
}

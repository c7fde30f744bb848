import type { ServiceWithStatus } from "@shoal/api";
import { renderTable, shortId } from "./table.js";
import { formatPorts } from "./ports.js";

/** `service ls`: `ID NAME MODE REPLICAS IMAGE PORTS`, REPLICAS as running/desired. */
export function serviceTable(services: readonly ServiceWithStatus[]): string {
  const rows = [...services]
    .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
    .map((s) => [
      shortId(s.id),
      s.spec.name,
      s.spec.mode.mode,
      `${s.serviceStatus.runningTasks}/${s.serviceStatus.desiredTasks}`,
      s.spec.taskTemplate.container.image,
      formatPorts(s.endpoint.ports.length > 0 ? s.endpoint.ports : s.spec.endpoint.ports),
    ]);
  return renderTable(["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"], rows);
}

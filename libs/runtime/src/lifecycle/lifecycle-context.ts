import type { ContainerEvents } from "../container/container-events.js";
import type { ExitWaiters } from "../container/exit-waiters.js";
import type { RuntimeLayout } from "../container/layout.js";
import type { RecordTable } from "../container/record-table.js";
import type { RuncClient } from "../container/runc.js";
import type { CgroupLayout } from "../stats/index.js";
import type { HealthChecks } from "./health-checks.js";

/**
 * What the lifecycle modules share: where things are, the runc client, the host's cgroups, and the runtime's
 * containers with their exit promises, events and health monitors. One instance per runtime.
 */
export interface LifecycleContext {
  layout: RuntimeLayout;
  runc: RuncClient;
  cgroups: CgroupLayout;
  records: RecordTable;
  exits: ExitWaiters;
  events: ContainerEvents;
  health: HealthChecks;
}

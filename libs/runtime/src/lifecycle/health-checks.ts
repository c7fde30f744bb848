import type { ContainerEvents } from "../container/container-events.js";
import type { ContainerRecord } from "../container/record.js";
import { HealthMonitor, systemHealthClock } from "../health/index.js";
import type { ExecResult, HealthState } from "../types.js";

/** Runs a health probe's command in container `id` (the runtime's `exec`). */
export type HealthExec = (id: string, argv: string[], timeoutMs: number) => Promise<ExecResult>;

/**
 * The health monitors of running containers that have a health check: one per container, started when it
 * starts (or is adopted running), stopped at its exit or removal. Transitions are emitted as `health` events.
 */
export class HealthChecks {
  private readonly monitors = new Map<string, HealthMonitor>();
  private closed = false;

  constructor(
    private readonly exec: HealthExec,
    private readonly events: ContainerEvents,
  ) {}

  /** Starts (or restarts) the monitor of `rec`'s container; nothing when it has no check or after `close`. */
  start(rec: ContainerRecord): void {
    const check = rec.healthcheck;
    if (!check || this.closed) return;
    const id = rec.spec.id;
    this.stop(id);
    const monitor = new HealthMonitor({
      check,
      clock: systemHealthClock,
      containerStartedAtMs: Date.parse(rec.startedAt ?? new Date().toISOString()),
      probe: async (argv, timeoutMs) => {
        const r = await this.exec(id, argv, timeoutMs);
        return { exitCode: r.exitCode, output: r.stdout + r.stderr };
      },
      onTransition: (status) => this.events.emit({ type: "health", id, time: new Date().toISOString(), status }),
    });
    this.monitors.set(id, monitor);
    monitor.start();
  }

  /** Stops container `id`'s monitor, if it has one. */
  stop(id: string): void {
    this.monitors.get(id)?.stop();
    this.monitors.delete(id);
  }

  /** The health state of container `id`, or undefined when it has no monitor. */
  stateOf(id: string): HealthState | undefined {
    return this.monitors.get(id)?.state;
  }

  /** Stops every monitor; later `start` calls do nothing (the runtime is closed; containers keep running). */
  close(): void {
    this.closed = true;
    for (const id of [...this.monitors.keys()]) this.stop(id);
  }
}

import { systemClock, type Clock } from "@shoal/common";
import { ExecTimeoutError } from "../errors.js";
import type { HealthState, HealthStatus } from "../types.js";
import type { ResolvedHealthcheck } from "./health-config.js";
import { HealthMachine } from "./health-machine.js";

/** The clock and timers a monitor runs on; tests pass a manual fake, production {@link systemHealthClock}. */
export type HealthClock = Clock;

/** The wall clock and Node's timers. */
export const systemHealthClock: HealthClock = systemClock;

/**
 * Runs a probe command in the container. Resolves with its exit code and output; rejects with
 * `ExecTimeoutError` when it ran past `timeoutMs` (and was killed), or with another error when it could not run.
 */
export type HealthProbe = (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;

/** What a {@link HealthMonitor} needs. */
export interface HealthMonitorOptions {
  check: ResolvedHealthcheck;
  probe: HealthProbe;
  clock: HealthClock;
  /** When the container started (epoch ms); default: the clock's now when the monitor is made. */
  containerStartedAtMs?: number;
  /** Called after each change of status with the new status and the full state. */
  onTransition?: (status: HealthStatus, state: HealthState) => void;
  /** Called after every recorded probe with the full state (for callers that keep a copy for inspect). */
  onProbe?: (state: HealthState) => void;
  /** A state to continue from instead of `starting`. */
  initialState?: HealthState;
}

/**
 * Drives a {@link HealthMachine}: runs the probe `intervalMs` after start and then `intervalMs` after each probe
 * ends, so two probes never overlap. A probe that times out or cannot run counts as a failure (exit code -1).
 * `stop()` cancels the next probe and makes the result of one in flight be ignored.
 */
export class HealthMonitor {
  private readonly machine: HealthMachine;
  private timer: unknown = undefined;
  private probing = false;
  private stopped = false;
  private started = false;

  constructor(private readonly options: HealthMonitorOptions) {
    const startedAt = options.containerStartedAtMs ?? options.clock.now();
    this.machine = new HealthMachine(options.check, startedAt, options.initialState);
  }

  /** The current health state. */
  get state(): HealthState {
    return this.machine.state;
  }

  /** Schedules the first probe. Calling it again, or after `stop()`, does nothing. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule();
  }

  /** Cancels the next probe; the result of a probe in flight is dropped. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) {
      this.options.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(): void {
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      void this.probeOnce();
    }, this.options.check.intervalMs);
  }

  private async probeOnce(): Promise<void> {
    if (this.stopped || this.probing) return;
    this.probing = true;
    const { check, clock, probe } = this.options;
    const startMs = clock.now();
    let exitCode: number;
    let output: string;
    try {
      ({ exitCode, output } = await probe(check.argv, check.timeoutMs));
    } catch (err) {
      exitCode = -1;
      output =
        err instanceof ExecTimeoutError
          ? `Health check exceeded timeout (${check.timeoutMs} ms)`
          : `Health check could not run: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.probing = false;
    }
    if (this.stopped) return;
    const changed = this.machine.record({ startMs, endMs: clock.now(), exitCode, output });
    this.schedule();
    this.options.onProbe?.(this.machine.state);
    if (changed !== undefined) this.options.onTransition?.(changed, this.machine.state);
  }
}

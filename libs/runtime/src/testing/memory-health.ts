import type { HealthProbeResult, HealthState, HealthcheckConfig } from "../types.js";
import type { Clock } from "./memory-clock.js";

/** A health check with Docker's defaults filled in; `argv` is what a probe runs. */
export interface HealthSettings {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

const LOG_KEPT = 5;
const OUTPUT_CAP = 4096;

/**
 * The check to run, or undefined when there is none (`NONE`, an empty test). `CMD` runs argv directly,
 * `CMD-SHELL` runs `/bin/sh -c`; a test not starting with either runs as `CMD` (Docker's API does too).
 */
export function healthSettings(config: HealthcheckConfig | undefined): HealthSettings | undefined {
  const test = config?.test ?? [];
  if (!config || test.length === 0 || test[0] === "NONE") return undefined;
  const [kind, ...rest] = test;
  const argv = kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : kind === "CMD" ? rest : test;
  return {
    argv,
    intervalMs: config.intervalMs ?? 30_000,
    timeoutMs: config.timeoutMs ?? 30_000,
    retries: config.retries ?? 3,
    startPeriodMs: config.startPeriodMs ?? 0,
  };
}

/** The state of a container whose check has not run yet. */
export function initialHealth(): HealthState {
  return { status: "starting", failingStreak: 0, log: [] };
}

/**
 * Docker's rule for one probe result: exit 0 -> healthy, streak 0; a failure adds to the streak and `retries`
 * in a row make it unhealthy, except that a failure of a probe started within the start period while still
 * `starting` changes nothing but the log. Keeps the last 5 results, output capped at 4 KiB. Pure.
 */
export function recordProbe(state: HealthState, probe: HealthProbeResult, inStartPeriod: boolean, retries: number): HealthState {
  const log = [...state.log, { ...probe, output: probe.output.slice(0, OUTPUT_CAP) }].slice(-LOG_KEPT);
  if (probe.exitCode === 0) return { status: "healthy", failingStreak: 0, log };
  if (inStartPeriod && state.status === "starting") return { ...state, log };
  const failingStreak = state.failingStreak + 1;
  return { status: failingStreak >= retries ? "unhealthy" : state.status, failingStreak, log };
}

/** Runs a probe; resolves with its exit code and output (a timed-out probe resolves with exit code -1). */
export type HealthProbe = (argv: string[], timeoutMs: number) => Promise<{ exitCode: number; output: string }>;

/**
 * Probes a container every `intervalMs` (the first one `intervalMs` after start), never two at once, and reports
 * each new state. Timers come from the injected clock; `stop()` cancels the next probe.
 */
export class MemoryHealthMonitor {
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly settings: HealthSettings,
    private readonly clock: Clock,
    private readonly startedAt: number,
    private readonly probe: HealthProbe,
    private state: HealthState,
    private readonly onState: (state: HealthState) => void,
  ) {}

  /** Schedules the next probe. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.runProbe();
    }, this.settings.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async runProbe(): Promise<void> {
    const start = this.clock.now();
    let result: { exitCode: number; output: string };
    try {
      result = await this.probe(this.settings.argv, this.settings.timeoutMs);
    } catch (err) {
      result = { exitCode: -1, output: err instanceof Error ? err.message : String(err) };
    }
    if (this.stopped) return;
    const end = this.clock.now();
    const probe = { start: new Date(start).toISOString(), end: new Date(end).toISOString(), ...result };
    this.state = recordProbe(this.state, probe, start - this.startedAt < this.settings.startPeriodMs, this.settings.retries);
    this.onState(this.state);
    this.start();
  }
}

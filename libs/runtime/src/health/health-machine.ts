import type { HealthProbeResult, HealthState, HealthStatus } from "../types.js";

/** How many probe results a container's health state keeps (Docker keeps 5). */
export const HEALTH_LOG_LENGTH = 5;
/** The most output kept of one probe, in bytes (Docker keeps 4 KiB). */
export const HEALTH_OUTPUT_LIMIT = 4096;

/** One finished probe as the machine sees it. A timeout or a probe that could not run is a non-zero exit code. */
export interface ProbeOutcome {
  /** When the probe started (epoch ms). */
  startMs: number;
  /** When it ended (epoch ms). */
  endMs: number;
  /** 0 is a success, anything else a failure. */
  exitCode: number;
  output: string;
}

/** The parts of a health check the machine needs. */
export interface HealthRules {
  /** Consecutive failures that make the container unhealthy. */
  retries: number;
  /** Failures that start this soon after the container started do not count while it is still `starting`. */
  startPeriodMs: number;
}

/**
 * The health state of one container, as Docker's HEALTHCHECK defines it; pure (no timers, no clock).
 *
 * The state is `starting` until the first success. A success makes it `healthy` and resets the failing
 * streak; a failure increments the streak, and a streak of `retries` makes it `unhealthy`. While the state is
 * `starting`, failures of probes that started within the start period (counted from the container's start)
 * do not count. The last {@link HEALTH_LOG_LENGTH} results are kept, each output capped at
 * {@link HEALTH_OUTPUT_LIMIT} bytes.
 */
export class HealthMachine {
  private status: HealthStatus;
  private failingStreak: number;
  private readonly log: HealthProbeResult[];

  /**
   * @param rules retries and start period of the check (see `resolveHealthcheck`).
   * @param containerStartedAtMs when the container started (epoch ms): the start period counts from here.
   * @param initial a state to continue from (a container re-adopted with its health known); default `starting`.
   */
  constructor(
    private readonly rules: HealthRules,
    private readonly containerStartedAtMs: number,
    initial?: HealthState,
  ) {
    this.status = initial?.status ?? "starting";
    this.failingStreak = initial?.failingStreak ?? 0;
    this.log = initial?.log.map((r) => ({ ...r })) ?? [];
  }

  /** A copy of the current state, for inspect. */
  get state(): HealthState {
    return { status: this.status, failingStreak: this.failingStreak, log: this.log.map((r) => ({ ...r })) };
  }

  /** Records a finished probe. Returns the new status when it changed, `undefined` otherwise. */
  record(outcome: ProbeOutcome): HealthStatus | undefined {
    this.log.push({
      start: new Date(outcome.startMs).toISOString(),
      end: new Date(outcome.endMs).toISOString(),
      exitCode: outcome.exitCode,
      output: capOutput(outcome.output),
    });
    if (this.log.length > HEALTH_LOG_LENGTH) this.log.splice(0, this.log.length - HEALTH_LOG_LENGTH);

    const before = this.status;
    if (outcome.exitCode === 0) {
      this.failingStreak = 0;
      this.status = "healthy";
    } else if (!this.inStartPeriod(outcome.startMs)) {
      this.failingStreak += 1;
      if (this.failingStreak >= this.rules.retries) this.status = "unhealthy";
    }
    return this.status === before ? undefined : this.status;
  }

  private inStartPeriod(probeStartMs: number): boolean {
    return this.status === "starting" && probeStartMs - this.containerStartedAtMs < this.rules.startPeriodMs;
  }
}

/** The first {@link HEALTH_OUTPUT_LIMIT} bytes of `output`, cut at a character boundary. */
export function capOutput(output: string): string {
  const bytes = Buffer.from(output, "utf8");
  if (bytes.length <= HEALTH_OUTPUT_LIMIT) return output;
  let end = HEALTH_OUTPUT_LIMIT;
  // Back off over UTF-8 continuation bytes so no character is cut in half.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString("utf8");
}

import { InvalidSpecError } from "../errors.js";
import type { HealthcheckConfig } from "../types.js";

/** Docker's defaults for a health check's timing. */
export const HEALTH_DEFAULTS = {
  intervalMs: 30_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 0,
} as const;

/** A health check with its defaults applied and its test turned into the argv a probe runs. */
export interface ResolvedHealthcheck {
  /** What the probe runs in the container: the `CMD` argv, or `/bin/sh -c <cmd>` for `CMD-SHELL`. */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/**
 * Applies Docker's defaults to a health check and validates it. Returns `undefined` when there is no check:
 * no config, an empty test, or `["NONE"]`. A zero interval, timeout or retries means the default, as in Docker.
 *
 * @throws InvalidSpecError naming the field (`healthcheck.test`, `healthcheck.intervalMs`, ...) when invalid.
 */
export function resolveHealthcheck(config: HealthcheckConfig | undefined): ResolvedHealthcheck | undefined {
  if (config === undefined || config.test.length === 0) return undefined;
  const [kind, ...rest] = config.test;
  let argv: string[];
  switch (kind) {
    case "NONE":
      return undefined;
    case "CMD":
      if (rest.length === 0 || rest[0] === "") {
        throw new InvalidSpecError("healthcheck.test", 'CMD needs a program to run: ["CMD", "prog", "arg", ...]');
      }
      argv = rest;
      break;
    case "CMD-SHELL":
      if (rest.length !== 1 || rest[0] === "") {
        throw new InvalidSpecError(
          "healthcheck.test",
          'CMD-SHELL takes exactly one shell command: ["CMD-SHELL", "curl -f http://localhost/"]',
        );
      }
      argv = ["/bin/sh", "-c", rest[0] as string];
      break;
    default:
      throw new InvalidSpecError(
        "healthcheck.test",
        `must start with "CMD", "CMD-SHELL" or "NONE", not ${JSON.stringify(kind)}`,
      );
  }
  return {
    argv,
    intervalMs: duration("intervalMs", config.intervalMs, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: duration("timeoutMs", config.timeoutMs, HEALTH_DEFAULTS.timeoutMs),
    retries: retries(config.retries),
    startPeriodMs:
      config.startPeriodMs === undefined
        ? HEALTH_DEFAULTS.startPeriodMs
        : nonNegative("startPeriodMs", config.startPeriodMs),
  };
}

function duration(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined || value === 0) return fallback;
  return nonNegative(field, value);
}

function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidSpecError(`healthcheck.${field}`, `must be a non-negative number of milliseconds, got ${value}`);
  }
  return value;
}

function retries(value: number | undefined): number {
  if (value === undefined || value === 0) return HEALTH_DEFAULTS.retries;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidSpecError("healthcheck.retries", `must be a positive integer, got ${value}`);
  }
  return value;
}

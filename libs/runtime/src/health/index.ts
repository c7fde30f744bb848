/** Container health checks: Docker's HEALTHCHECK semantics as a pure machine and a timer-driven monitor. */
export { HEALTH_DEFAULTS, resolveHealthcheck, type ResolvedHealthcheck } from "./health-config.js";
export {
  HEALTH_LOG_LENGTH,
  HEALTH_OUTPUT_LIMIT,
  HealthMachine,
  capOutput,
  type HealthRules,
  type ProbeOutcome,
} from "./health-machine.js";
export {
  HealthMonitor,
  systemHealthClock,
  type HealthClock,
  type HealthMonitorOptions,
  type HealthProbe,
} from "./health-monitor.js";

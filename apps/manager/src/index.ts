/** The manager daemon's parts. So far: the pure cores of the scheduler and the replicated orchestrator. */
export * from "./scheduler/filters.js";
export * from "./scheduler/plan.js";
export * from "./orchestrator/replicated.js";
export * from "./orchestrator/global.js";
export * from "./node-monitor/node-monitor.js";

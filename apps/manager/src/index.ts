/** The manager daemon's parts. So far: the scheduler's pure planning core. */
export * from "./scheduler/filters.js";
export * from "./scheduler/plan.js";

/** What every Shoal package shares: the typed error base, durable file writes, a serial queue. */
export * from "./errors.js";
export * from "./durable-file.js";
export * from "./serial-queue.js";
export * from "./log.js";
export * from "./limiter.js";
export * from "./until.js";
export * from "./clock.js";

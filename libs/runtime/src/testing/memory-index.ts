/**
 * The in-memory executor and its parts, for the package's `./testing` entry point: the executor and its host,
 * clocks, image fixtures, and the contract suite every Executor must pass.
 */
export * from "./memory-executor.js";
export * from "./memory-host.js";
export * from "./memory-clock.js";
export * from "./memory-image-ref.js";
export * from "./memory-images.js";
export * from "./memory-volumes.js";
export * from "./memory-logs.js";
export * from "./memory-shell.js";
export * from "./memory-process.js";
export * from "./executor-contract.js";

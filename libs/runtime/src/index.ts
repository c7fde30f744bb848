/** Public entry point of @shoal/runtime: the node's container runtime. */
export * from "./errors.js";
export type * from "./types.js";
export type * from "./executor.js";

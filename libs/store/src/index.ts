/** The managers' replicated state machine: versioned objects, indexes, events and snapshots. */
export * from "./errors.js";
export * from "./store-state.js";
export * from "./store-machine.js";
export * from "./commands.js";

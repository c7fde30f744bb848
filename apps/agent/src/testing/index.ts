/** Test helpers of the agent: a fake manager on the bus and task fixtures. */
export * from "./fake-manager.js";
export * from "./tasks.js";
export * from "./wait.js";
export * from "./local-api-call.js";
export * from "./join-server.js";

/** Shoal's object model: zod schemas and types of every stored object, shared by the manager, agent and CLI. */
export * from "./common.js";
export * from "./errors.js";
export * from "./task-state.js";
export * from "./service.js";
export * from "./task.js";
export * from "./service-status.js";
export * from "./node.js";
export * from "./network.js";
export * from "./cluster.js";
export * from "./secrets.js";
export * from "./autolock.js";
export * from "./user.js";
export * from "./cluster-status.js";
export * from "./routes.js";
export * from "./client.js";
export * from "./version.js";
export * from "./local-socket.js";
export { classifyTlsFailure, type TlsFailure, type TlsProblem } from "./tls-failure.js";

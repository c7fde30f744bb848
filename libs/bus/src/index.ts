/** The manager-agent bus: NATS subjects, permissions, message schemas, codecs and the agent's assignment bookkeeping. */
export * from "./subjects.js";
export * from "./permissions.js";
export * from "./messages.js";
export * from "./codec.js";
export * from "./assignment-set.js";
export * from "./connection.js";
export * from "./nats-bus.js";
export * from "./errors.js";

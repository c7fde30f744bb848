/**
 * The manager's pure model: what its components share without importing each other (network and allocation
 * queries, placement constraints, published ports, service changes, cluster bootstrap, store event tests, users).
 */
export * from "./bootstrap.js";
export * from "./constraints.js";
export * from "./events.js";
export * from "./networks.js";
export * from "./ports.js";
export * from "./services.js";
export * from "./stable-json.js";
export * from "./users.js";
export * from "./route-secret.js";

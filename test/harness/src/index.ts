export * from "./cleanup.js";
export * from "./cluster.js";
export * from "./docker.js";
export * from "./errors.js";
export * from "./node-image.js";
export * from "./node.js";
export * from "./partition.js";
export * from "./until.js";

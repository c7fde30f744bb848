/** The interaction environment: drives Raft cores from scenario scripts (see libs/raft/testdata/README.md). */
export { InteractionEnv } from "./env.js";
export { interactionHandler } from "./handler.js";
export { InteractionNode, type NodeConfig, type ReadyResult } from "./node.js";
export { Network, type InFlight } from "./network.js";
export * from "./format.js";

/** Test support shipped with the library: the scenario scripts' interaction environment, the in-memory cluster, linearizability, the KV store. */
export * from "./mem-cluster.js";
export * from "./linearizability/index.js";
export * from "./kv/kv-state-machine.js";
export * from "./interaction/index.js";
export * from "./sim/index.js";
export * from "./rng.js";
export * from "./kv/kv-client.js";
export * from "./kv/kv-cluster.js";

/** Test support shipped with the library: scenario scripts, the in-memory cluster, simulation, linearizability. */
export * from "./datadriven/index.js";
export * from "./mem-cluster.js";

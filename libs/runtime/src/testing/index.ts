/**
 * Test helpers of @shoal/runtime: the in-memory executor (the agent's twin of the real runtime), the executor
 * contract suite, the busybox image, a real registry on loopback, and a real runtime in temp dirs.
 */
export * from "./memory-index.js";
export * from "./busybox.js";
export * from "./registry.js";
export * from "./registry-test-image.js";
export * from "./runtime-fixture.js";

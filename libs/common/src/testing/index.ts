/**
 * Test support every package may use (`@shoal/common/testing`; it imports `node:test`, so never from production
 * code): datadriven scenario scripts with a rewrite mode.
 */
export * from "./datadriven/index.js";

/** Entry points for sibling packages and tests only; not a stable API. */
export * from "./index.js";
export * from "./image/index.js";
export * from "./volume/index.js";

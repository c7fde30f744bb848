/** Named volumes: the on-disk store and the name rules shared with the in-memory executor. */
export * from "./volume-store.js";
export * from "./volume-name.js";

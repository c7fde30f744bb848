/** `@shoal/bus/testing`: a real nats-server with mutual TLS and per-identity users, for tests of bus clients. */
export * from "./nats-server.js";

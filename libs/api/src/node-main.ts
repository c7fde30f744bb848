/**
 * `@shoal/api/node`: what Node processes use to reach the managers over HTTPS (the CLI, agents, managers
 * forwarding, tests, benches), kept out of the main entry because the dashboard bundles `@shoal/api` for the
 * browser: the TLS fetch, and a client built from the cluster's trust bundle.
 */
export * from "./node-fetch.js";
export * from "./trusted-client.js";
export * from "./socket-client.js";
export * from "./renewal.js";

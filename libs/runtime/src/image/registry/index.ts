/** The registry client: pulls manifests and blobs over the registry HTTP API v2 with token auth. */
export { RegistryClient } from "./registry-client.js";
export type { RegistryClientOptions } from "./registry-client.js";
export type { RegistryCredentials } from "./auth.js";
export { parseWwwAuthenticate } from "./www-authenticate.js";
export type { AuthChallenge } from "./www-authenticate.js";

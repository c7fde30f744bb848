/** Public entry point of @shoal/runtime: the node's container runtime. */
export * from "./errors.js";
export type * from "./types.js";
export type * from "./executor.js";
export { openRuntime, Runtime, type RuntimeOptions } from "./runtime.js";
export { removeCgroupParent } from "./cgroup-parent.js";
export { ImageStore, normalizeReference, parseReference, formatReference } from "./image/index.js";
export type { ImageStoreOptions, ResolvedImage, ImageReference, FetchedManifest, ImageFetcher } from "./image/index.js";
export { RegistryClient, type RegistryClientOptions, type RegistryCredentials } from "./image/registry/index.js";
export { VolumeStore } from "./volume/index.js";

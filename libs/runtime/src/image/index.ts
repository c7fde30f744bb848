/** The node's image store and the pure pieces it is built from. */
export { ImageStore } from "./store/image-store.js";
export type { ImageStoreOptions, ResolvedImage, UsersOf } from "./store/image-store.js";
export type { FetchedManifest, ImageFetcher } from "./source.js";
export { formatReference, normalizeReference, parseReference, parseTagReference, DEFAULT_DOMAIN } from "./reference.js";
export type { ImageReference } from "./reference.js";
export { choosePlatform, parseManifest, platformOf, platformMatches } from "./oci/manifest.js";
export type { Descriptor, ImageIndex, ImageManifest, Platform } from "./oci/manifest.js";
export { MediaType } from "./oci/media-types.js";
export { parseImageConfig } from "./oci/image-config.js";
export type { ParsedImageConfig } from "./oci/image-config.js";
export { TarReader } from "./tar/tar-reader.js";
export type { TarEvent } from "./tar/tar-reader.js";
export type { TarEntry, TarEntryType } from "./tar/tar-header.js";
export { TAR_END, tarMember, writeTar } from "./tar/tar-writer.js";
export type { TarWriterEntry } from "./tar/tar-writer.js";
export { EntryPlanner, normalizeEntryPath } from "./layer/entry-planner.js";
export type { PlannedEntry } from "./layer/entry-planner.js";

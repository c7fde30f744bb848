import type { Readable } from "node:stream";

/** A manifest (or index) as fetched, with the digest of its exact bytes. */
export interface FetchedManifest {
  /** `sha256:...` of `bytes`. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

/**
 * Where a pull gets manifests and blobs: a registry client. The image store verifies every digest itself, so a
 * source need not be trusted.
 */
export interface ImageFetcher {
  /** Resolves a reference (tag or digest) to its manifest or index. */
  fetchManifest(ref: string, options?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  /** A manifest of the same repository named by digest (an index's child). */
  fetchManifestByDigest(ref: string, digest: string, options?: { signal?: AbortSignal }): Promise<FetchedManifest>;
  /** Opens a blob of the repository `ref` names. */
  openBlob(ref: string, digest: string, options?: { signal?: AbortSignal }): Promise<Readable>;
}

import { createHash } from "node:crypto";
import { CorruptImageError, DigestMismatchError } from "../../errors.js";
import type { ParsedImageConfig } from "../oci/image-config.js";
import { parseImageConfig } from "../oci/image-config.js";

/** One layer of an image about to be imported, with a way to read its blob. */
export interface LayerSource {
  /** What the blob is, for messages: `layer 2 of docker.io/library/app:1`. */
  label: string;
  /** The diff id the config promises. */
  diffId: string;
  /** The blob digest the manifest promises, when it names one (docker-save `<id>/layer.tar` does not). */
  digest?: string;
  /** Opens the blob (compressed or not). */
  open(): Promise<AsyncIterable<Buffer>>;
}

/** An image read from an archive or a registry, verified up to its layers, ready to import. */
export interface ImageCandidate {
  /** Normalized tags to give it (may be empty). */
  tags: string[];
  repoDigests: string[];
  manifest: { digest: string; mediaType: string; bytes: Buffer };
  configDigest: string;
  configBytes: Buffer;
  config: ParsedImageConfig;
  layers: LayerSource[];
}

/** `sha256:<hex>` of `bytes`. */
export function sha256(bytes: Buffer): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** Throws DigestMismatchError naming `what` unless `bytes` hash to `digest`. */
export function verifyDigest(bytes: Buffer, digest: string, what: string): void {
  const actual = sha256(bytes);
  if (actual !== digest) throw new DigestMismatchError(digest, actual, what);
}

/** Parses a config blob and checks it names as many layers as the manifest lists. */
export function parseConfigFor(bytes: Buffer, what: string, layerCount: number): ParsedImageConfig {
  const config = parseImageConfig(bytes, what);
  if (config.diffIds.length !== layerCount) {
    throw new CorruptImageError(
      `runtime: ${what} lists ${config.diffIds.length} layers (rootfs.diff_ids), the manifest ${layerCount}`,
    );
  }
  return config;
}

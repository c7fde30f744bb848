import { CorruptImageError, UnsupportedMediaTypeError } from "../../errors.js";
import { DIGEST } from "../reference.js";
import { CONFIG_TYPES, INDEX_TYPES, LAYER_TYPES, MANIFEST_TYPES } from "./media-types.js";

/** The OS and architecture an image is built for. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A reference to a blob by digest (OCI content descriptor). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations: Record<string, string>;
}

/** An image manifest: one config and its layers, bottom first. */
export interface ImageManifest {
  kind: "manifest";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** An index (manifest list): manifests for several platforms, or nested indexes. */
export interface ImageIndex {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses JSON bytes into an object; CorruptImageError naming `what` otherwise. */
export function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new CorruptImageError(`runtime: ${what} is not valid JSON`, { cause: err });
  }
  if (!isObject(value)) throw new CorruptImageError(`runtime: ${what} is not a JSON object`);
  return value;
}

/** Validates one descriptor; CorruptImageError naming `what` for a missing or malformed field. */
export function parseDescriptor(value: unknown, what: string): Descriptor {
  if (!isObject(value)) throw new CorruptImageError(`runtime: ${what} is not a descriptor object`);
  const { mediaType, digest, size, platform, annotations } = value;
  if (typeof mediaType !== "string" || mediaType === "")
    throw new CorruptImageError(`runtime: ${what} has no mediaType`);
  if (typeof digest !== "string" || !DIGEST.test(digest)) {
    if (typeof digest === "string" && /^[a-z0-9]+:/.test(digest) && !digest.startsWith("sha256:")) {
      throw new CorruptImageError(
        `runtime: ${what} uses digest algorithm ${digest.split(":")[0]}; only sha256 is supported`,
      );
    }
    throw new CorruptImageError(`runtime: ${what} has no valid sha256 digest`);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0)
    throw new CorruptImageError(`runtime: ${what} has no valid size`);
  const out: Descriptor = { mediaType, digest, size, annotations: {} };
  if (isObject(platform)) {
    if (typeof platform.os !== "string" || typeof platform.architecture !== "string") {
      throw new CorruptImageError(`runtime: ${what} has a platform without os and architecture`);
    }
    out.platform = { os: platform.os, architecture: platform.architecture };
    if (typeof platform.variant === "string") out.platform.variant = platform.variant;
  }
  if (isObject(annotations)) {
    for (const [k, v] of Object.entries(annotations)) if (typeof v === "string") out.annotations[k] = v;
  }
  return out;
}

/**
 * Parses a manifest or an index (OCI or Docker schema 2). The media type is the document's own `mediaType`, else the one
 * the transport reported, else guessed from its shape. Schema 1, unknown types, and manifests with zstd
 * or non-distributable layers or a non-image config throw UnsupportedMediaTypeError.
 */
export function parseManifest(bytes: Buffer, what: string, mediaTypeHint?: string): ImageManifest | ImageIndex {
  const doc = parseJsonObject(bytes, what);
  const own = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  let mediaType = own ?? mediaTypeHint;
  if (doc.schemaVersion === 1)
    throw new UnsupportedMediaTypeError(
      mediaType ?? "application/vnd.docker.distribution.manifest.v1+json",
      `${what} (Docker schema 1)`,
    );
  if (doc.schemaVersion !== 2)
    throw new CorruptImageError(`runtime: ${what} has schemaVersion ${JSON.stringify(doc.schemaVersion)}, expected 2`);
  if (mediaType === undefined)
    mediaType = Array.isArray(doc.manifests)
      ? "application/vnd.oci.image.index.v1+json"
      : "application/vnd.oci.image.manifest.v1+json";

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests))
      throw new CorruptImageError(`runtime: ${what} is an index without a manifests list`);
    return {
      kind: "index",
      mediaType,
      manifests: doc.manifests.map((d, i) => parseDescriptor(d, `${what} manifests[${i}]`)),
    };
  }
  if (!MANIFEST_TYPES.has(mediaType)) throw new UnsupportedMediaTypeError(mediaType, what);
  const config = parseDescriptor(doc.config, `${what} config`);
  if (!CONFIG_TYPES.has(config.mediaType))
    throw new UnsupportedMediaTypeError(config.mediaType, `${what} config (not a container image)`);
  if (!Array.isArray(doc.layers)) throw new CorruptImageError(`runtime: ${what} has no layers list`);
  const layers = doc.layers.map((d, i) => parseDescriptor(d, `${what} layers[${i}]`));
  layers.forEach((layer, i) => {
    if (!LAYER_TYPES.has(layer.mediaType)) throw new UnsupportedMediaTypeError(layer.mediaType, `${what} layers[${i}]`);
  });
  return { kind: "manifest", mediaType, config, layers };
}

/** Maps Node's `process.arch` to the OCI architecture (and variant) name. */
export function platformOf(os: string, nodeArch: string): Platform {
  const table: Record<string, Platform> = {
    x64: { os, architecture: "amd64" },
    arm64: { os, architecture: "arm64", variant: "v8" },
    arm: { os, architecture: "arm", variant: "v7" },
    ia32: { os, architecture: "386" },
    ppc64: { os, architecture: "ppc64le" },
    s390x: { os, architecture: "s390x" },
    riscv64: { os, architecture: "riscv64" },
  };
  return table[nodeArch] ?? { os, architecture: nodeArch };
}

/** True when `candidate` runs on `want` (a missing variant matches any, and arm64 treats v8 as the default). */
export function platformMatches(candidate: Platform, want: Platform): boolean {
  if (candidate.os !== want.os || candidate.architecture !== want.architecture) return false;
  if (candidate.variant === undefined || want.variant === undefined) return true;
  return candidate.variant === want.variant;
}

/**
 * Chooses the manifest for `want` from an index: an exact variant match first, then one without a variant.
 * Returns undefined when none fits (attestation entries, `unknown/unknown`, never match).
 */
export function choosePlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const candidates = index.manifests.filter((d) => d.platform !== undefined && platformMatches(d.platform, want));
  return candidates.find((d) => d.platform?.variant === want.variant) ?? candidates[0];
}

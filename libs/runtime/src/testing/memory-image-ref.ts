import { createHash } from "node:crypto";
import { normalizeReference, parseReference } from "../image/reference.js";
import type { ImageConfig, ImageRecord } from "../types.js";

/** References are normalized exactly as the image store does (`busybox` -> `docker.io/library/busybox:latest`). */
export const normalizeImageRef: (ref: string) => string = normalizeReference;

/** The repository part of a reference (no tag or digest). */
export function repositoryOf(ref: string): string {
  return parseReference(ref).name;
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * Builds a fake but well-formed ImageRecord for seeding the in-memory executor: id and digests derive from
 * `ref` and `config`, so the same inputs give the same image.
 */
export function memoryImage(
  ref: string,
  config: Partial<ImageConfig> = {},
  options: { size?: number; layers?: number } = {},
): ImageRecord {
  const normalized = normalizeImageRef(ref);
  const full: ImageConfig = {
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    exposedPorts: [],
    labels: {},
    volumes: [],
    ...config,
  };
  const id = sha256(JSON.stringify({ normalized: repositoryOf(normalized), full }));
  const manifestDigest = sha256(`manifest ${id}`);
  const layers = Array.from({ length: options.layers ?? 1 }, (_, i) => sha256(`layer ${i} ${id}`));
  return {
    id,
    repoTags: normalized.includes("@") ? [] : [normalized],
    repoDigests: [`${repositoryOf(normalized)}@${manifestDigest}`],
    manifestDigest,
    layers,
    size: options.size ?? 1_048_576,
    architecture: "amd64",
    os: "linux",
    config: full,
  };
}

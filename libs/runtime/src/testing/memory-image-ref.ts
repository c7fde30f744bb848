import { createHash } from "node:crypto";
import { InvalidReferenceError } from "../errors.js";
import type { ImageConfig, ImageRecord } from "../types.js";

// lead: replace with the image store's reference parser (src/image) once merged; same normal form.

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::\d+)?$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Normalizes an image reference like Docker: `busybox` -> `docker.io/library/busybox:latest`,
 * `host:5000/a/b` -> `host:5000/a/b:latest`, `name@sha256:...` keeps its digest. Throws InvalidReferenceError.
 */
export function normalizeImageRef(ref: string): string {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  let name = at >= 0 ? ref.slice(0, at) : ref;
  if (digest !== undefined && !DIGEST.test(digest)) throw new InvalidReferenceError(ref, "the digest must be sha256: and 64 lowercase hex digits");
  let tag: string | undefined;
  const colon = name.lastIndexOf(":");
  if (colon > name.lastIndexOf("/")) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
    if (!TAG.test(tag)) throw new InvalidReferenceError(ref, "a tag is 1-128 of [A-Za-z0-9_.-], not starting with . or -");
  }
  const parts = name.split("/");
  const first = parts[0] ?? "";
  let domain = "docker.io";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOMAIN.test(first)) throw new InvalidReferenceError(ref, `bad registry host ${JSON.stringify(first)}`);
    domain = first;
    parts.shift();
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) {
    throw new InvalidReferenceError(ref, "repository names are lowercase letters, digits and separators (. _ __ -), joined by /");
  }
  if (domain === "docker.io" && parts.length === 1) parts.unshift("library");
  const full = `${domain}/${parts.join("/")}`;
  if (digest !== undefined) return `${full}@${digest}`;
  return `${full}:${tag ?? "latest"}`;
}

/** The repository part of a normalized reference (no tag or digest). */
export function repositoryOf(normalized: string): string {
  const at = normalized.indexOf("@");
  if (at >= 0) return normalized.slice(0, at);
  return normalized.slice(0, normalized.lastIndexOf(":"));
}

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

/**
 * Builds a fake but well-formed ImageRecord for seeding the in-memory executor: id and digests derive from
 * `ref` and `config`, so the same inputs give the same image.
 */
export function memoryImage(ref: string, config: Partial<ImageConfig> = {}, options: { size?: number; layers?: number } = {}): ImageRecord {
  const normalized = normalizeImageRef(ref);
  const full: ImageConfig = { env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], exposedPorts: [], labels: {}, volumes: [], ...config };
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

import { DEFAULT_DOMAIN, parseReference } from "../reference.js";

/** Where a reference's manifests and blobs live: the registry to ask and the repository within it. */
export interface RegistryLocation {
  /** The registry as the reference names it (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** The host to connect to, with its port (`registry-1.docker.io`, `127.0.0.1:5000`). */
  host: string;
  /** The repository path (`library/busybox`, `app`). */
  repository: string;
  /** The tag, when the reference names one (`latest` when it names neither tag nor digest). */
  tag?: string;
  /** The digest, when the reference names one (`sha256:<64 hex>`). */
  digest?: string;
}

const DOCKER_HUB_HOST = "registry-1.docker.io";

/**
 * Finds the registry host and repository of an image reference. Parsing is the image store's
 * (`parseReference`, Docker's rules); Docker Hub's domain maps to its API host.
 *
 * @throws InvalidReferenceError when the name, tag or digest is malformed.
 */
export function registryLocation(ref: string): RegistryLocation {
  const r = parseReference(ref);
  return {
    domain: r.domain,
    host: r.domain === DEFAULT_DOMAIN ? DOCKER_HUB_HOST : r.domain,
    repository: r.path,
    ...(r.tag !== undefined ? { tag: r.tag } : {}),
    ...(r.digest !== undefined ? { digest: r.digest } : {}),
  };
}

/** The part of `host` before its port (`[::1]:5000` -> `::1`, `localhost:5000` -> `localhost`). */
export function hostname(host: string): string {
  if (host.startsWith("[")) {
    const end = host.indexOf("]");
    return end > 0 ? host.slice(1, end) : host;
  }
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

/** Whether `host` (with or without port) is this machine's loopback: `localhost`, 127.0.0.0/8 or `::1`. */
export function isLoopbackHost(host: string): boolean {
  const name = hostname(host).toLowerCase();
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/**
 * The URL scheme to reach `host`: plain http for loopback and for hosts (or host names without port) listed
 * in `insecure`, https otherwise.
 */
export function registryScheme(host: string, insecure: readonly string[]): "http" | "https" {
  if (isLoopbackHost(host)) return "http";
  return insecure.includes(host) || insecure.includes(hostname(host)) ? "http" : "https";
}

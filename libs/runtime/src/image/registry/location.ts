import { InvalidReferenceError } from "../../errors.js";

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

const DOCKER_HUB_DOMAIN = "docker.io";
const DOCKER_HUB_HOST = "registry-1.docker.io";
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Finds the registry host and repository of an image reference, the way `docker pull` does: a first path
 * component with a `.` or `:`, or `localhost`, is a registry; anything else is on Docker Hub, where one-part
 * names live under `library/`.
 *
 * NB: just enough parsing to talk to a registry; the image store's reference parser is the full one.
 *
 * @throws InvalidReferenceError when the name, tag or digest is malformed.
 */
export function registryLocation(ref: string): RegistryLocation {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw new InvalidReferenceError(ref, `digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>`);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw new InvalidReferenceError(ref, `tag ${JSON.stringify(tag)} must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`);
    }
  }
  let domain = DOCKER_HUB_DOMAIN;
  let repository = rest;
  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    domain = first;
    repository = rest.slice(slash + 1);
  }
  if (domain === "index.docker.io") domain = DOCKER_HUB_DOMAIN;
  if (domain === DOCKER_HUB_DOMAIN && !repository.includes("/")) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) {
    throw new InvalidReferenceError(
      ref,
      `repository ${JSON.stringify(repository)} must be lowercase letters, digits and . _ - separated by /`,
    );
  }
  const host = domain === DOCKER_HUB_DOMAIN ? DOCKER_HUB_HOST : domain;
  const location: RegistryLocation = { domain, host, repository };
  if (digest !== undefined) location.digest = digest;
  if (tag !== undefined) location.tag = tag;
  else if (digest === undefined) location.tag = "latest";
  return location;
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

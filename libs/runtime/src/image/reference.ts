import { InvalidReferenceError } from "../errors.js";

/** A parsed, normalized image reference. */
export interface ImageReference {
  /** Registry host with optional port, e.g. `docker.io`, `localhost:5000`. */
  domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  path: string;
  /** `domain/path`. */
  name: string;
  /** The tag; `latest` when neither tag nor digest was given. */
  tag?: string;
  /** `sha256:<64 hex>` when pinned by digest. */
  digest?: string;
}

/** The registry that names without a domain refer to. */
export const DEFAULT_DOMAIN = "docker.io";

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN =
  /^(?:localhost|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** A sha256 digest as image ids and content addresses are written. */
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses an image reference the way Docker does: `busybox` is `docker.io/library/busybox:latest`,
 * `host:5000/a/b:tag` names another registry, `name@sha256:...` pins a digest (a tag may come with it). Throws
 * InvalidReferenceError naming the problem.
 */
export function parseReference(ref: string): ImageReference {
  const bad = (reason: string): never => {
    throw new InvalidReferenceError(ref, reason);
  };
  if (ref === "") bad("it is empty; give a name like busybox or registry:5000/app:1.0");
  if (ref !== ref.trim()) bad("it has leading or trailing spaces");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digest.startsWith("sha256:")) bad("only sha256 digests are supported (name@sha256:<64 hex digits>)");
    if (!DIGEST.test(digest)) bad("the digest must be sha256: followed by 64 lowercase hex digits");
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`the tag ${JSON.stringify(tag)} must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`);
  }
  if (rest === "") bad("the repository name is missing");
  const parts = rest.split("/");
  let domain = DEFAULT_DOMAIN;
  const first = parts[0] as string;
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    if (!DOMAIN.test(first)) bad(`the registry ${JSON.stringify(first)} is not a valid host[:port]`);
    domain = first === "index.docker.io" ? DEFAULT_DOMAIN : first;
    parts.shift();
  }
  for (const part of parts) {
    if (part !== part.toLowerCase() && COMPONENT.test(part.toLowerCase())) bad("repository names must be lowercase");
    if (!COMPONENT.test(part)) {
      bad(
        `the path component ${JSON.stringify(part)} must be lowercase letters and digits, separated by ., _, __ or -`,
      );
    }
  }
  if (domain === DEFAULT_DOMAIN && parts.length === 1) parts.unshift("library");
  const path = parts.join("/");
  const name = `${domain}/${path}`;
  if (name.length > 255) bad("the name is longer than 255 characters");
  if (tag === undefined && digest === undefined) tag = "latest";
  return { domain, path, name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The canonical text of a reference: `name[:tag][@digest]`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.name}${ref.tag !== undefined ? `:${ref.tag}` : ""}${ref.digest !== undefined ? `@${ref.digest}` : ""}`;
}

/** `parseReference` then `formatReference`: `busybox` -> `docker.io/library/busybox:latest`. */
export function normalizeReference(ref: string): string {
  return formatReference(parseReference(ref));
}

/**
 * A reference that names a tag (what `tag` and the image's repoTags hold): `name:tag` with no digest. Throws
 * InvalidReferenceError for a digest reference.
 */
export function parseTagReference(ref: string): string {
  const parsed = parseReference(ref);
  if (parsed.digest !== undefined) throw new InvalidReferenceError(ref, "a tag cannot hold a digest; give name:tag");
  return formatReference(parsed);
}

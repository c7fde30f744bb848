import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { DigestMismatchError, InvalidReferenceError, NotFoundError, RegistryError } from "../../errors.js";
import type { FetchedManifest, ImageFetcher } from "../source.js";
import { RegistryAuth } from "./auth.js";
import type { RegistryCredentials } from "./auth.js";
import { bodyStream, discard, readLimited, send, unexpectedAnswer } from "./http.js";
import type { FetchFunction } from "./http.js";
import { registryLocation, registryScheme } from "./location.js";
import type { RegistryLocation } from "./location.js";

/** What a registry client is configured with. */
export interface RegistryClientOptions {
  /** Logins by registry host (`127.0.0.1:5000`; `docker.io` or `registry-1.docker.io` for Docker Hub). */
  credentials?: Readonly<Record<string, RegistryCredentials>>;
  /** Hosts (`host:port` or `host`) reached over plain http; loopback hosts always are. */
  insecureRegistries?: readonly string[];
  /** Epoch-millisecond clock for token expiry; `Date.now` when absent. */
  clock?: () => number;
  /** The HTTP client; the global `fetch` when absent. */
  fetch?: FetchFunction;
}

/** Manifest media types asked for, most wanted first: the runtime picks the platform itself from an index. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];

/** The distribution spec's limit for a manifest; anything longer is refused unread. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Fetches manifests and blobs over the registry HTTP API v2 (the OCI distribution spec), with Docker's token
 * auth. http for loopback and insecure registries, https otherwise.
 *
 * Manifests are checked against the digest they were asked by; blobs are not (the caller hashes what it
 * streams). Network failures, 429 and 5xx are RegistryErrors with `temporary` set; an aborted signal rejects
 * with its reason.
 */
export class RegistryClient implements ImageFetcher {
  private readonly auth: RegistryAuth;
  private readonly insecure: readonly string[];
  private readonly fetchImpl: FetchFunction;

  constructor(options: RegistryClientOptions = {}) {
    this.fetchImpl = options.fetch ?? fetch;
    this.insecure = options.insecureRegistries ?? [];
    this.auth = new RegistryAuth(options.credentials ?? {}, options.clock ?? Date.now, this.fetchImpl);
  }

  /**
   * Resolves `ref` (tag or digest) to its manifest or index.
   *
   * @throws NotFoundError when the registry has no such tag or repository.
   * @throws DigestMismatchError when `ref` names a digest and the bytes served hash to another.
   */
  async fetchManifest(ref: string, options: { signal?: AbortSignal } = {}): Promise<FetchedManifest> {
    const location = registryLocation(ref);
    const reference = location.digest ?? location.tag ?? "latest";
    return this.manifest(ref, location, reference, options.signal);
  }

  /** Fetches the manifest `digest` of the repository `ref` names (an index's child), checking its digest. */
  async fetchManifestByDigest(
    ref: string,
    digest: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<FetchedManifest> {
    const location = registryLocation(ref);
    checkDigest(ref, digest);
    return this.manifest(ref, location, digest, options.signal);
  }

  /**
   * Opens blob `digest` of the repository `ref` names, following redirects (to a CDN, say). The stream is not
   * verified: the caller hashes it. If the connection breaks midway the stream fails with a temporary
   * RegistryError.
   *
   * @throws NotFoundError (kind `blob`) when the registry has no such blob.
   */
  async openBlob(ref: string, digest: string, options: { signal?: AbortSignal } = {}): Promise<Readable> {
    const location = registryLocation(ref);
    checkDigest(ref, digest);
    const what = `fetching blob ${digest} of ${ref} from ${location.host}`;
    const res = await this.request(location, `blobs/${digest}`, {}, what, options.signal);
    if (res.status === 404) {
      await discard(res);
      throw new NotFoundError(
        "blob",
        digest,
        `runtime: blob ${digest} of ${ref} is not in registry ${location.host} (repository ${location.repository}); the image was pushed incompletely or deleted: push it again`,
      );
    }
    if (!res.ok) throw await unexpectedAnswer(res, what, "check the image reference and the registry");
    return bodyStream(res, options.signal, what);
  }

  private async manifest(
    ref: string,
    location: RegistryLocation,
    reference: string,
    signal: AbortSignal | undefined,
  ): Promise<FetchedManifest> {
    const what = `fetching manifest ${reference} of ${location.repository} from ${location.host}`;
    const res = await this.request(
      location,
      `manifests/${reference}`,
      { accept: MANIFEST_MEDIA_TYPES.join(", ") },
      what,
      signal,
    );
    if (res.status === 404) {
      await discard(res);
      throw new NotFoundError(
        "image",
        ref,
        `runtime: image ${JSON.stringify(ref)} is not in registry ${location.host} (no manifest ${reference} in repository ${location.repository}); check the name and tag, or push the image first`,
      );
    }
    if (!res.ok) throw await unexpectedAnswer(res, what, "check the image reference and the registry");
    const bytes = await readLimited(res, MAX_MANIFEST_BYTES, what);
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (DIGEST.test(reference) && digest !== reference) {
      throw new DigestMismatchError(reference, digest, `manifest of ${ref} from ${location.host}`);
    }
    return { digest, mediaType: manifestMediaType(res.headers.get("content-type"), bytes), bytes };
  }

  /**
   * Sends a GET for `path` of the repository, authorizing as the registry demands: a known token (or Basic
   * login) goes along at once; on a 401 a fresh one is fetched and the request sent once more.
   */
  private async request(
    location: RegistryLocation,
    path: string,
    headers: Record<string, string>,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const scope = `repository:${location.repository}:pull`;
    const url = `${registryScheme(location.host, this.insecure)}://${location.host}/v2/${location.repository}/${path}`;
    const attempt = (authorization: string | undefined): Promise<Response> => {
      const init: RequestInit = { headers: authorization === undefined ? headers : { ...headers, authorization } };
      if (signal !== undefined) init.signal = signal;
      return send(this.fetchImpl, url, init, what);
    };
    const first = await attempt(this.auth.known(location, scope));
    if (first.status !== 401) return first;
    await discard(first);
    const authorization = await this.auth.answer(location, scope, first.headers.get("www-authenticate"), signal);
    const second = await attempt(authorization);
    if (second.status !== 401) return second;
    await discard(second);
    this.auth.forget(location, scope);
    throw new RegistryError(
      `runtime: registry ${location.host} refused pull access to ${location.repository} even after authenticating: the repository may not exist, or the login configured for ${location.host} may not have pull rights to it; check the name and the credentials`,
      401,
      { temporary: false },
    );
  }
}

/** The media type the registry declared, or the manifest's own `mediaType` when the header is generic or absent. */
function manifestMediaType(contentType: string | null, bytes: Buffer): string {
  const declared = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (MANIFEST_MEDIA_TYPES.includes(declared)) return declared;
  try {
    const own = (JSON.parse(bytes.toString("utf8")) as { mediaType?: unknown }).mediaType;
    if (typeof own === "string" && own !== "") return own;
  } catch {
    // Not JSON: report what the registry said.
  }
  return declared === "" ? "application/octet-stream" : declared;
}

function checkDigest(ref: string, digest: string): void {
  if (!DIGEST.test(digest)) {
    throw new InvalidReferenceError(
      `${ref}@${digest}`,
      `digest ${JSON.stringify(digest)} is not sha256:<64 lowercase hex>`,
    );
  }
}

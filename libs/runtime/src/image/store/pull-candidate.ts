import { CorruptImageError, DigestMismatchError, NotFoundError } from "../../errors.js";
import type { FetchedManifest, ImageFetcher } from "../source.js";
import type { Platform } from "../oci/manifest.js";
import { choosePlatform, parseManifest } from "../oci/manifest.js";
import { formatReference, parseReference } from "../reference.js";
import type { ImageCandidate } from "./candidate.js";
import { parseConfigFor, sha256, verifyDigest } from "./candidate.js";

/** Largest config blob a pull reads into memory. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Checks a fetched manifest hashes to the digest it came with (and to `expected` when the caller pinned one). */
function verifyManifest(m: FetchedManifest, expected: string | undefined, what: string): string {
  const actual = sha256(m.bytes);
  if (expected !== undefined && actual !== expected) throw new DigestMismatchError(expected, actual, what);
  if (m.digest !== actual) throw new DigestMismatchError(m.digest, actual, what);
  return actual;
}

async function readBlob(
  fetcher: ImageFetcher,
  ref: string,
  digest: string,
  what: string,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (await fetcher.openBlob(
    ref,
    digest,
    signal !== undefined ? { signal } : {},
  )) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_CONFIG_BYTES)
      throw new CorruptImageError(`runtime: ${what} is larger than ${MAX_CONFIG_BYTES} bytes`);
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  verifyDigest(bytes, digest, what);
  return bytes;
}

/**
 * Resolves `ref` through `fetcher` to a verified image candidate: the manifest (from an index, the one for
 * `platform`), its config; layers are opened later, when the store unpacks them. Every digest is checked here
 * or at unpack, so the fetcher need not be trusted.
 */
export async function pullCandidate(
  fetcher: ImageFetcher,
  ref: string,
  platform: Platform,
  signal?: AbortSignal,
): Promise<ImageCandidate> {
  const parsed = parseReference(ref);
  const canonical = formatReference(parsed);
  const opts = signal !== undefined ? { signal } : {};
  const top = await fetcher.fetchManifest(canonical, opts);
  const topDigest = verifyManifest(top, parsed.digest, `manifest of ${canonical}`);
  let fetched = top;
  let doc = parseManifest(top.bytes, `manifest of ${canonical}`, top.mediaType);
  if (doc.kind === "index") {
    const child = choosePlatform(doc, platform);
    if (child === undefined) {
      throw new NotFoundError(
        "image",
        canonical,
        `runtime: ${canonical} has no image for ${platform.os}/${platform.architecture}; the index offers ${doc.manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : "?")).join(", ")}`,
      );
    }
    signal?.throwIfAborted();
    fetched = await fetcher.fetchManifestByDigest(canonical, child.digest, opts);
    verifyManifest(fetched, child.digest, `manifest ${child.digest} of ${canonical}`);
    doc = parseManifest(fetched.bytes, `manifest ${child.digest} of ${canonical}`, fetched.mediaType);
    if (doc.kind !== "manifest")
      throw new CorruptImageError(
        `runtime: ${canonical}: ${child.digest} is an index inside an index; expected a manifest`,
      );
  }
  const manifest = doc;
  const configBytes = await readBlob(
    fetcher,
    canonical,
    manifest.config.digest,
    `config ${manifest.config.digest} of ${canonical}`,
    signal,
  );
  const config = parseConfigFor(configBytes, `config of ${canonical}`, manifest.layers.length);
  return {
    tags: parsed.tag !== undefined ? [`${parsed.name}:${parsed.tag}`] : [],
    repoDigests: [`${parsed.name}@${topDigest}`],
    manifest: { digest: sha256(fetched.bytes), mediaType: manifest.mediaType, bytes: fetched.bytes },
    configDigest: manifest.config.digest,
    configBytes,
    config,
    layers: manifest.layers.map((l, i) => ({
      label: `layer ${l.digest} of ${canonical}`,
      diffId: config.diffIds[i] as string,
      digest: l.digest,
      open: async () => {
        signal?.throwIfAborted();
        return (await fetcher.openBlob(canonical, l.digest, opts)) as AsyncIterable<Buffer>;
      },
    })),
  };
}

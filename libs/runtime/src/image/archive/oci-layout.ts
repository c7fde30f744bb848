import { CorruptImageError, NotFoundError, UnsupportedMediaTypeError } from "../../errors.js";
import type { Descriptor, Platform } from "../oci/manifest.js";
import { choosePlatform, parseJsonObject, parseManifest, platformMatches } from "../oci/manifest.js";
import { INDEX_TYPES, MANIFEST_TYPES, MediaType } from "../oci/media-types.js";
import { parseReference, parseTagReference } from "../reference.js";
import type { ImageCandidate } from "../store/candidate.js";
import { parseConfigFor, verifyDigest } from "../store/candidate.js";
import type { TarArchive } from "./tar-archive.js";

/** Annotation holding an image's full name (containerd, Docker 25+). */
export const CONTAINERD_NAME = "io.containerd.image.name";
/** The OCI annotation for a tag or full reference of a manifest in an image layout. */
export const OCI_REF_NAME = "org.opencontainers.image.ref.name";

/** Normalized tags from a descriptor's annotations; a bare `ref.name` like `latest` names no repository. */
export function namesFromAnnotations(annotations: Record<string, string>): string[] {
  const out = new Set<string>();
  const full = annotations[CONTAINERD_NAME];
  if (full !== undefined) out.add(parseTagReference(full));
  const ref = annotations[OCI_REF_NAME];
  if (ref !== undefined && (ref.includes("/") || ref.includes(":"))) {
    try {
      out.add(parseTagReference(ref));
    } catch {
      // A ref.name that is not a full reference is a tag for some name given elsewhere.
    }
  }
  return [...out];
}

const blobName = (digest: string): string => `blobs/sha256/${digest.slice("sha256:".length)}`;

/** Reads a blob of the layout and checks its digest and size against the descriptor. */
async function readBlob(archive: TarArchive, d: Descriptor, what: string): Promise<Buffer> {
  const bytes = await archive.read(blobName(d.digest));
  verifyDigest(bytes, d.digest, `${archive.label}: ${what} ${d.digest}`);
  if (bytes.length !== d.size)
    throw new CorruptImageError(
      `runtime: ${archive.label}: ${what} ${d.digest} is ${bytes.length} bytes, its descriptor says ${d.size}`,
    );
  return bytes;
}

/**
 * Reads the images of an OCI image-layout tarball (`oci-layout`, `index.json`, `blobs/sha256/*`). Nested indexes
 * are resolved to the manifest for `platform`; manifests of another platform are skipped. Tags come from the
 * annotations of the top-level descriptors.
 */
export async function readOciLayout(archive: TarArchive, platform: Platform): Promise<ImageCandidate[]> {
  const layout = parseJsonObject(await archive.read("oci-layout"), `${archive.label}: oci-layout`);
  if (typeof layout.imageLayoutVersion !== "string")
    throw new CorruptImageError(`runtime: ${archive.label}: oci-layout has no imageLayoutVersion`);
  const index = parseManifest(await archive.read("index.json"), `${archive.label}: index.json`, MediaType.ociIndex);
  if (index.kind !== "index")
    throw new CorruptImageError(`runtime: ${archive.label}: index.json is not an image index`);

  const out: ImageCandidate[] = [];
  let skipped = 0;
  for (const top of index.manifests) {
    const tags = namesFromAnnotations(top.annotations);
    let d: Descriptor | undefined = top;
    for (let depth = 0; d !== undefined && INDEX_TYPES.has(d.mediaType); depth++) {
      if (depth > 4) throw new CorruptImageError(`runtime: ${archive.label}: indexes nested more than 4 deep`);
      const nested = parseManifest(
        await readBlob(archive, d, "index"),
        `${archive.label}: index ${d.digest}`,
        d.mediaType,
      );
      if (nested.kind !== "index")
        throw new CorruptImageError(`runtime: ${archive.label}: ${d.digest} is typed as an index but is a manifest`);
      d =
        choosePlatform(nested, platform) ??
        (nested.manifests.length === 1 && nested.manifests[0]?.platform === undefined
          ? nested.manifests[0]
          : undefined);
    }
    if (d === undefined || (d.platform !== undefined && !platformMatches(d.platform, platform))) {
      skipped++;
      continue;
    }
    if (!MANIFEST_TYPES.has(d.mediaType))
      throw new UnsupportedMediaTypeError(d.mediaType, `${archive.label}: ${d.digest}`);
    const manifestBytes = await readBlob(archive, d, "manifest");
    const manifest = parseManifest(manifestBytes, `${archive.label}: manifest ${d.digest}`, d.mediaType);
    if (manifest.kind !== "manifest")
      throw new CorruptImageError(`runtime: ${archive.label}: ${d.digest} is typed as a manifest but is an index`);
    const configBytes = await readBlob(archive, manifest.config, "config");
    const config = parseConfigFor(
      configBytes,
      `${archive.label}: config ${manifest.config.digest}`,
      manifest.layers.length,
    );
    const manifestDigest = d.digest;
    out.push({
      tags,
      repoDigests: tags.map((t) => `${parseReference(t).name}@${manifestDigest}`),
      manifest: { digest: manifestDigest, mediaType: manifest.mediaType, bytes: manifestBytes },
      configDigest: manifest.config.digest,
      configBytes,
      config,
      layers: manifest.layers.map((l, i) => {
        const name = blobName(l.digest);
        if (archive.sizeOf(name) !== l.size) {
          throw new CorruptImageError(
            `runtime: ${archive.label}: layer ${l.digest} is ${archive.sizeOf(name)} bytes, its descriptor says ${l.size}`,
          );
        }
        return {
          label: `${archive.label}: layer ${l.digest}`,
          diffId: config.diffIds[i] as string,
          digest: l.digest,
          open: () => Promise.resolve(archive.open(name)),
        };
      }),
    });
  }
  if (out.length === 0) {
    throw new NotFoundError(
      "image",
      archive.label,
      `runtime: ${archive.label} holds no image for ${platform.os}/${platform.architecture}${skipped > 0 ? ` (${skipped} for other platforms)` : ""}`,
    );
  }
  return out;
}

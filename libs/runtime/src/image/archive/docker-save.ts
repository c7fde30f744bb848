import { CorruptImageError } from "../../errors.js";
import { MediaType } from "../oci/media-types.js";
import { parseJsonObject } from "../oci/manifest.js";
import { parseTagReference } from "../reference.js";
import type { ImageCandidate } from "../store/candidate.js";
import { parseConfigFor, sha256, verifyDigest } from "../store/candidate.js";
import type { TarArchive } from "./tar-archive.js";

const BLOB_PATH = /^blobs\/sha256\/([0-9a-f]{64})$/;

/** The digest a docker-save member name implies: `blobs/sha256/<hex>` or `<hex>.json`; none for `<id>/layer.tar`. */
function digestFromName(name: string): string | undefined {
  const clean = name.replace(/^\.\//, "");
  const m = BLOB_PATH.exec(clean) ?? /^([0-9a-f]{64})\.json$/.exec(clean);
  return m ? `sha256:${m[1]}` : undefined;
}

/**
 * Reads the images of a `docker save` tarball from its `manifest.json` (Config, RepoTags, Layers). Config
 * digests are verified here; layer digests when the layers are unpacked. A Docker schema 2 manifest is made up
 * for each image so it has a manifest digest like a pulled one.
 */
export async function readDockerSave(archive: TarArchive): Promise<ImageCandidate[]> {
  const what = `${archive.label}: manifest.json`;
  let entries: unknown;
  try {
    entries = JSON.parse((await archive.read("manifest.json")).toString("utf8"));
  } catch (err) {
    if (err instanceof CorruptImageError) throw err;
    throw new CorruptImageError(`runtime: ${what} is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(entries)) throw new CorruptImageError(`runtime: ${what} is not a list`);
  const out: ImageCandidate[] = [];
  for (const [i, raw] of entries.entries()) {
    const at = `${what}[${i}]`;
    const e = parseJsonObject(Buffer.from(JSON.stringify(raw ?? null)), at);
    if (typeof e.Config !== "string") throw new CorruptImageError(`runtime: ${at} has no Config`);
    if (!Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === "string"))
      throw new CorruptImageError(`runtime: ${at} has no Layers list`);
    const layerNames = e.Layers;
    const tags = e.RepoTags === null || e.RepoTags === undefined ? [] : e.RepoTags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === "string"))
      throw new CorruptImageError(`runtime: ${at}: RepoTags must be a list of strings`);

    const configBytes = await archive.read(e.Config);
    const configDigest = sha256(configBytes);
    const named = digestFromName(e.Config);
    if (named !== undefined) verifyDigest(configBytes, named, `${archive.label}: config ${e.Config}`);
    const config = parseConfigFor(configBytes, `${archive.label}: config ${e.Config}`, layerNames.length);
    const layers = layerNames.map((name, li) => {
      const digest = digestFromName(name);
      const label = `${archive.label}: layer ${name}`;
      return {
        label,
        size: archive.sizeOf(name),
        diffId: config.diffIds[li] as string,
        ...(digest !== undefined ? { digest } : {}),
        open: () => Promise.resolve(archive.open(name)),
      };
    });
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.dockerManifest,
        config: { mediaType: MediaType.dockerConfig, digest: configDigest, size: configBytes.length },
        layers: layers.map((l) => ({ mediaType: MediaType.dockerLayer, digest: l.digest ?? l.diffId, size: l.size })),
      }),
    );
    out.push({
      tags: tags.map((t) => parseTagReference(t)),
      repoDigests: [],
      manifest: { digest: sha256(manifestBytes), mediaType: MediaType.dockerManifest, bytes: manifestBytes },
      configDigest,
      configBytes,
      config,
      layers,
    });
  }
  return out;
}

import fs from "node:fs/promises";
import path from "node:path";
import { DigestMismatchError } from "../../errors.js";
import type { ImageRecord } from "../../types.js";
import { unpackLayer } from "../layer/unpack-layer.js";
import type { ImageCandidate } from "./candidate.js";
import type { StoreState } from "./metadata.js";
import { cloneState, setTag, writeMetadata } from "./metadata.js";
import type { StorePaths } from "./store-paths.js";
import { hex } from "./store-paths.js";

/**
 * Imports verified image candidates, all or nothing. Layers the store lacks are unpacked under `work` (each into
 * its own empty dir) and checked against the blob digest and the config's diff id; manifest and config blobs are
 * written there too. Then the new layers and blobs are renamed into place and the metadata file replaced; if that
 * fails the renamed files are removed again. Returns the new state and the imported records; the caller swaps the
 * state in and removes `work`. Must run under the store's mutation lock.
 */
export async function importImages(
  paths: StorePaths,
  state: StoreState,
  work: string,
  candidates: readonly ImageCandidate[],
): Promise<{ state: StoreState; images: ImageRecord[] }> {
  const newLayers = new Map<string, { dir: string; size: number }>();
  for (const c of candidates) {
    for (const layer of c.layers) {
      if (state.layers.has(layer.diffId) || newLayers.has(layer.diffId)) continue;
      const dir = path.join(work, "layers", hex(layer.diffId));
      await fs.mkdir(path.join(dir, "diff"), { recursive: true });
      const got = await unpackLayer(await layer.open(), path.join(dir, "diff"), layer.label);
      if (layer.digest !== undefined && got.digest !== layer.digest)
        throw new DigestMismatchError(layer.digest, got.digest, layer.label);
      if (got.diffId !== layer.diffId)
        throw new DigestMismatchError(
          layer.diffId,
          got.diffId,
          `${layer.label} (uncompressed, as the config's rootfs.diff_ids)`,
        );
      newLayers.set(layer.diffId, { dir, size: got.size });
    }
  }
  const newBlobs = new Map<string, string>();
  await fs.mkdir(path.join(work, "blobs"), { recursive: true });
  for (const c of candidates) {
    for (const [digest, bytes] of [
      [c.manifest.digest, c.manifest.bytes],
      [c.configDigest, c.configBytes],
    ] as const) {
      if (newBlobs.has(digest)) continue;
      const file = path.join(work, "blobs", hex(digest));
      await fs.writeFile(file, bytes, { mode: 0o644 });
      newBlobs.set(digest, file);
    }
  }

  const next = cloneState(state);
  for (const [diffId, { size }] of newLayers) next.layers.set(diffId, { size });
  const images: ImageRecord[] = [];
  for (const c of candidates) {
    const before = next.images.get(c.configDigest);
    const record: ImageRecord = {
      id: c.configDigest,
      repoTags: before?.repoTags ?? [],
      repoDigests: [...new Set([...(before?.repoDigests ?? []), ...c.repoDigests])].sort(),
      manifestDigest: c.manifest.digest,
      layers: c.config.diffIds,
      size: c.config.diffIds.reduce((sum, d) => sum + (next.layers.get(d)?.size ?? 0), 0),
      ...(c.config.created !== undefined ? { created: c.config.created } : {}),
      architecture: c.config.architecture,
      os: c.config.os,
      config: c.config.config,
    };
    next.images.set(record.id, record);
    for (const tag of c.tags) setTag(next, tag, record.id);
    images.push(record);
  }

  const placed: string[] = [];
  try {
    for (const [diffId, { dir }] of newLayers) {
      await fs.rename(dir, paths.layer(diffId));
      placed.push(paths.layer(diffId));
    }
    for (const [digest, file] of newBlobs) {
      if (
        await fs.stat(paths.blob(digest)).then(
          () => true,
          () => false,
        )
      )
        continue;
      await fs.rename(file, paths.blob(digest));
      placed.push(paths.blob(digest));
    }
    await writeMetadata(paths.metadata, next);
  } catch (err) {
    for (const p of placed) await paths.discard(p).catch(() => undefined);
    throw err;
  }
  return { state: next, images: images.map((img) => next.images.get(img.id) ?? img) };
}

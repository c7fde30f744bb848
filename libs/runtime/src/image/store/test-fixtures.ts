import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { writeTar } from "../tar/tar-writer.js";
import type { TarWriterEntry } from "../tar/tar-writer.js";

/** Test helpers: craft docker-save and OCI tarballs from layers described as tar entries. */

/** `sha256:<hex>` of bytes. */
export const digestOf = (b: Buffer): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A layer for a crafted image: its entries, gzip-compressed or not. */
export interface FixtureLayer {
  entries: TarWriterEntry[];
  gzip?: boolean;
  /** Raw blob bytes to use instead of the tar of `entries` (for corrupt blobs); diffId still from `entries`. */
  raw?: Buffer;
}

/** A config blob for layers with these diff ids. */
export function configBlob(diffIds: string[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Cmd: ["sh"], Env: ["PATH=/bin"], ...extra },
      rootfs: { type: "layers", diff_ids: diffIds },
    }),
  );
}

/** The tar, blob and digests of a fixture layer. */
export function buildLayer(layer: FixtureLayer): { tar: Buffer; blob: Buffer; diffId: string; digest: string } {
  const tar = writeTar(layer.entries);
  const blob = layer.raw ?? (layer.gzip === true ? gzipSync(tar) : tar);
  return { tar, blob, diffId: digestOf(tar), digest: digestOf(blob) };
}

/** A docker-save tarball (`manifest.json`, `<n>/layer.tar` or blobs, config json) holding one image. */
export function dockerSaveTarball(
  layers: FixtureLayer[],
  repoTags: string[],
  options: { blobPaths?: boolean; configExtra?: Record<string, unknown> } = {},
): Buffer {
  const built = layers.map(buildLayer);
  const config = configBlob(
    built.map((l) => l.diffId),
    options.configExtra,
  );
  const configName = `${digestOf(config).slice(7)}.json`;
  const layerNames = built.map((l, i) =>
    options.blobPaths === true ? `blobs/sha256/${l.digest.slice(7)}` : `layer${i}/layer.tar`,
  );
  const entries: TarWriterEntry[] = [
    {
      path: "manifest.json",
      type: "file",
      data: JSON.stringify([{ Config: configName, RepoTags: repoTags, Layers: layerNames }]),
    },
    { path: configName, type: "file", data: config },
    ...built.map((l, i) => ({ path: layerNames[i] as string, type: "file" as const, data: l.blob })),
  ];
  return writeTar(entries.reverse());
}

/** An OCI image-layout tarball holding one image tagged `name` (annotation `io.containerd.image.name`). */
export function ociTarball(layers: FixtureLayer[], name: string, options: { layerMediaType?: string } = {}): Buffer {
  const built = layers.map(buildLayer);
  const config = configBlob(built.map((l) => l.diffId));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digestOf(config), size: config.length },
      layers: built.map((l) => ({
        mediaType: options.layerMediaType ?? "application/vnd.oci.image.layer.v1.tar+gzip",
        digest: l.digest,
        size: l.blob.length,
      })),
    }),
  );
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [
      {
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        digest: digestOf(manifest),
        size: manifest.length,
        annotations: { "io.containerd.image.name": name },
      },
    ],
  });
  const blob = (b: Buffer): TarWriterEntry => ({ path: `blobs/sha256/${digestOf(b).slice(7)}`, type: "file", data: b });
  return writeTar([
    { path: "oci-layout", type: "file", data: '{"imageLayoutVersion":"1.0.0"}' },
    { path: "index.json", type: "file", data: index },
    blob(manifest),
    blob(config),
    ...built.map((l) => blob(l.blob)),
  ]);
}

/** Runs `fn` with a fresh temp dir, removed afterwards whatever happens. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "shoal-images-test-"));
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Every path under `dir`, sorted (to compare a store before and after a failed import). */
export async function listing(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await fs.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

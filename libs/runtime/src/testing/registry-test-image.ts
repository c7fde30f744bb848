import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

/** A one-layer image as a registry holds it: blobs plus the manifest that names them. */
export interface TestImage {
  /** The image config JSON. */
  config: Buffer;
  /** The gzip-compressed layer tarball. */
  layer: Buffer;
  /** The uncompressed tarball (its digest is the config's diff id). */
  tar: Buffer;
  /** The image manifest, OCI or Docker schema 2. */
  manifest: Buffer;
  mediaType: string;
  /** `sha256:` digests of config, layer and manifest. */
  digests: { config: string; layer: string; manifest: string };
}

/**
 * Builds a small image in memory: one layer holding `files` (path -> content, regular files, mode 0644), a
 * config for linux/amd64 with `cmd`, and its manifest (`oci` by default, or `docker` schema 2). Deterministic:
 * the same input gives the same digests.
 */
export function buildTestImage(
  files: Readonly<Record<string, string>>,
  options: { format?: "oci" | "docker"; cmd?: string[] } = {},
): TestImage {
  const tar = tarball(files);
  const layer = gzipSync(tar);
  const oci = (options.format ?? "oci") === "oci";
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: {
        Cmd: options.cmd ?? ["/bin/sh"],
        Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      },
      rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    }),
  );
  const mediaType = oci
    ? "application/vnd.oci.image.manifest.v1+json"
    : "application/vnd.docker.distribution.manifest.v2+json";
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: {
        mediaType: oci ? "application/vnd.oci.image.config.v1+json" : "application/vnd.docker.container.image.v1+json",
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: oci
            ? "application/vnd.oci.image.layer.v1.tar+gzip"
            : "application/vnd.docker.image.rootfs.diff.tar.gzip",
          digest: sha256(layer),
          size: layer.length,
        },
      ],
    }),
  );
  return {
    config,
    layer,
    tar,
    manifest,
    mediaType,
    digests: { config: sha256(config), layer: sha256(layer), manifest: sha256(manifest) },
  };
}

/** An OCI index naming `manifests` (each for linux on its architecture). */
export function buildTestIndex(manifests: readonly { image: TestImage; architecture: string }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: manifests.map(({ image, architecture }) => ({
        mediaType: image.mediaType,
        digest: image.digests.manifest,
        size: image.manifest.length,
        platform: { architecture, os: "linux" },
      })),
    }),
  );
}

/** A ustar archive of regular files, entries in the order given, ending with two zero blocks. */
function tarball(files: Readonly<Record<string, string>>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.from(content, "utf8");
    blocks.push(tarHeader(path, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(path: string, size: number): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`test image: path ${path} is longer than 100 bytes`);
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => {
    header.write(value, offset, length, "utf8");
  };
  const octal = (offset: number, length: number, value: number): void =>
    field(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  field(0, 100, path);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, 0);
  field(148, 8, "        "); // checksum counts as spaces while it is computed
  field(156, 1, "0");
  field(257, 6, "ustar\0");
  field(263, 2, "00");
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

// What the image build scripts share: a reproducible layer tar of a root filesystem, and the OCI image layout
// (config, manifest, index, blobs) packed as one tarball. Reproducible: names sorted, times and owners fixed, the
// gzip header without a timestamp, so the same files always give the same digests.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

/** The OCI digest (`sha256:<hex>`) of a buffer. */
export const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The standard PATH of an image's config. */
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Makes the directories `dirs` (relative) under `root`. */
export function mkdirs(root, dirs) {
  for (const d of dirs) mkdirSync(join(root, d), { recursive: true });
}

/**
 * Writes the OCI image layout of one layer (the directory `rootfs`) as a tarball at `out`, atomically (a temp
 * file renamed into place). `config` is the image config's `config` object, `tag` `name[:ref]`, `createdBy` the
 * history entry. Returns the tag and the manifest and layer digests.
 */
export function writeOciImage({ work, rootfs, config, tag, out, createdBy }) {
  // ---- the layer: a reproducible tar (sorted names, fixed times and owners), gzipped without a timestamp ----
  const tar = execFileSync(
    "tar",
    [
      "--sort=name",
      "--mtime=@0",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "--format=posix",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime",
      "-C",
      rootfs,
      "-cf",
      "-",
      ".",
    ],
    { maxBuffer: 256 * 1024 * 1024 },
  );
  const layer = gzipSync(tar, { level: 9 });

  const configBlob = Buffer.from(
    JSON.stringify({
      created: "1970-01-01T00:00:00Z",
      architecture: "amd64",
      os: "linux",
      config,
      rootfs: { type: "layers", diff_ids: [sha(tar)] },
      history: [{ created: "1970-01-01T00:00:00Z", created_by: createdBy }],
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {
        mediaType: "application/vnd.oci.image.config.v1+json",
        digest: sha(configBlob),
        size: configBlob.length,
      },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
    }),
  );
  const [name, ref = "latest"] = tag.split(":");
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          digest: sha(manifest),
          size: manifest.length,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "org.opencontainers.image.ref.name": ref, "io.containerd.image.name": `${name}:${ref}` },
        },
      ],
    }),
  );

  // ---- the image layout, packed as one tar ----
  const layout = join(work, "layout");
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  for (const blob of [layer, configBlob, manifest])
    writeFileSync(join(layout, "blobs", "sha256", sha(blob).slice(7)), blob);
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(layout, "index.json"), index);
  const target = resolve(out);
  mkdirSync(dirname(target), { recursive: true });
  const tmpOut = `${target}.tmp-${process.pid}`;
  execFileSync("tar", [
    "--sort=name",
    "--mtime=@0",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    "-C",
    layout,
    "-cf",
    tmpOut,
    ".",
  ]);
  execFileSync("mv", ["-f", tmpOut, target]);
  return { image: target, tag: `${name}:${ref}`, manifest: sha(manifest), layer: sha(layer) };
}

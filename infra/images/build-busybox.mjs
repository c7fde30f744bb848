#!/usr/bin/env node
// Builds a busybox image as an OCI image-layout tarball from Debian's busybox-static, with no registry:
//
//   node infra/images/build-busybox.mjs [--out infra/images/out/busybox-oci.tar] [--tag busybox:latest]
//
// The output is reproducible: the same busybox binary gives the same layer, config and manifest digests.
// It is the image of the demo and the runtime's tests (which build it once and reuse it).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const here = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    out: { type: "string", default: join(here, "out", "busybox-oci.tar") },
    tag: { type: "string", default: "busybox:latest" },
    busybox: { type: "string", default: "/bin/busybox" },
  },
});
const BUSYBOX = values.busybox;
if (!existsSync(BUSYBOX)) {
  console.error(`images: ${BUSYBOX} not found; install it with: apt-get install busybox-static (scripts/setup.sh does)`);
  process.exit(1);
}
const linked = execFileSync("file", ["-L", BUSYBOX], { encoding: "utf8" });
if (!/statically linked|static-pie linked/.test(linked)) {
  console.error(`images: ${BUSYBOX} is not statically linked (${linked.trim()}); install busybox-static`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "shoal-image-"));
try {
  // ---- the root filesystem ----
  const root = join(work, "rootfs");
  for (const d of ["bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "var", "var/log", "usr", "usr/bin", "sbin"]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  chmodSync(join(root, "tmp"), 0o1777);
  chmodSync(join(root, "root"), 0o700);
  copyFileSync(BUSYBOX, join(root, "bin", "busybox"));
  chmodSync(join(root, "bin", "busybox"), 0o755);
  const applets = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" }).split("\n").filter((a) => a && a !== "busybox");
  for (const a of applets) symlinkSync("busybox", join(root, "bin", a));
  writeFileSync(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
  writeFileSync(join(root, "etc", "group"), "root:x:0:\nnogroup:x:65534:\n");
  writeFileSync(join(root, "etc", "hostname"), "busybox\n");

  // ---- the layer: a reproducible tar (sorted names, fixed times and owners), gzipped without a timestamp ----
  const tar = execFileSync(
    "tar",
    ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "--format=posix",
      "--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime", "-C", root, "-cf", "-", "."],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const layer = gzipSync(tar, { level: 9 });
  const sha = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

  const config = Buffer.from(JSON.stringify({
    created: "1970-01-01T00:00:00Z",
    architecture: "amd64",
    os: "linux",
    config: {
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
      Cmd: ["sh"],
      WorkingDir: "/",
      Labels: { "org.opencontainers.image.description": "busybox from Debian busybox-static" },
    },
    rootfs: { type: "layers", diff_ids: [sha(tar)] },
    history: [{ created: "1970-01-01T00:00:00Z", created_by: "infra/images/build-busybox.mjs" }],
  }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
  }));
  const [name, ref = "latest"] = values.tag.split(":");
  const index = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: [{
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: sha(manifest),
      size: manifest.length,
      platform: { architecture: "amd64", os: "linux" },
      annotations: { "org.opencontainers.image.ref.name": ref, "io.containerd.image.name": `${name}:${ref}` },
    }],
  }));

  // ---- the image layout, packed as one tar ----
  const layout = join(work, "layout");
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  for (const blob of [layer, config, manifest]) writeFileSync(join(layout, "blobs", "sha256", sha(blob).slice(7)), blob);
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(layout, "index.json"), index);
  const out = resolve(values.out);
  mkdirSync(dirname(out), { recursive: true });
  const tmpOut = `${out}.tmp-${process.pid}`;
  execFileSync("tar", ["--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", layout, "-cf", tmpOut, "."]);
  execFileSync("mv", ["-f", tmpOut, out]);
  console.log(JSON.stringify({ image: out, tag: `${name}:${ref}`, manifest: sha(manifest), layer: sha(layer), applets: applets.length }));
} finally {
  rmSync(work, { recursive: true, force: true });
}

import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ImageConfig } from "../types.js";

const run = promisify(execFile);

/** Finds the repository root: the nearest directory above this module holding the image build scripts. */
async function repoRoot(): Promise<string> {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (
      await fs.stat(path.join(dir, "infra", "images", "build-busybox.mjs")).then(
        () => true,
        () => false,
      )
    )
      return dir;
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error(
        "runtime: cannot find infra/images/build-busybox.mjs above the runtime package; run from a checkout of the repository",
      );
    dir = up;
  }
}

/**
 * The path of the image tarball `infra/images/out/<name>-oci.tar`, built with `infra/images/build-<name>.mjs`
 * when missing. Safe when several test processes call it at once: each builds to its own temp path and renames
 * it into place.
 */
async function ensureImageTarball(name: string): Promise<string> {
  const root = await repoRoot();
  const out = path.join(root, "infra", "images", "out", `${name}-oci.tar`);
  if (
    await fs.stat(out).then(
      () => true,
      () => false,
    )
  )
    return out;
  await fs.mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.build-${process.pid}-${randomUUID()}`;
  try {
    await run(process.execPath, [path.join(root, "infra", "images", `build-${name}.mjs`), "--out", tmp], { cwd: root });
    await fs.rename(tmp, out);
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return out;
}

/** The path of the busybox OCI image tarball (`infra/images/out/busybox-oci.tar`, `busybox:latest`), built when missing. */
export function ensureBusyboxTarball(): Promise<string> {
  return ensureImageTarball("busybox");
}

/**
 * The path of the redis OCI image tarball (`infra/images/out/redis-oci.tar`, `redis:latest`: redis-server and
 * redis-cli from Debian), built when missing, as the busybox one is.
 */
export function ensureRedisTarball(): Promise<string> {
  return ensureImageTarball("redis");
}

/** The busybox image tarball unpacked as an OCI layout: its manifest and a way to find each blob. */
export interface BusyboxLayout {
  dir: string;
  blob: (digest: string) => string;
  manifest: { mediaType?: string; config: { digest: string }; layers: { digest: string }[] };
}

/** Unpacks the busybox OCI image tarball into `dir` (created) with the system tar. */
export async function unpackBusyboxLayout(dir: string): Promise<BusyboxLayout> {
  await fs.mkdir(dir, { recursive: true });
  await run("tar", ["-xf", await ensureBusyboxTarball(), "-C", dir]);
  const blob = (digest: string): string => path.join(dir, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  const index = JSON.parse(await fs.readFile(path.join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string }[];
  };
  const manifestDigest = index.manifests[0]?.digest;
  if (manifestDigest === undefined) throw new Error("busybox image has no manifest");
  const manifest = JSON.parse(await fs.readFile(blob(manifestDigest), "utf8")) as BusyboxLayout["manifest"];
  return { dir, blob, manifest };
}

/** The image config and unpacked root filesystem of the busybox test image. */
export interface BusyboxRootfs {
  rootfs: string;
  config: ImageConfig;
  passwd: string;
  group: string;
}

/**
 * Unpacks the busybox test image into `dir`/rootfs (its layers applied with the system tar, for tests that run
 * bare runc), with its config as the runtime's ImageConfig.
 */
export async function unpackBusybox(dir: string): Promise<BusyboxRootfs> {
  const layout = await unpackBusyboxLayout(path.join(dir, "layout"));
  const rootfs = path.join(dir, "rootfs");
  await fs.mkdir(rootfs);
  for (const layer of layout.manifest.layers) await run("tar", ["-xzf", layout.blob(layer.digest), "-C", rootfs]);
  const c =
    (
      JSON.parse(await fs.readFile(layout.blob(layout.manifest.config.digest), "utf8")) as {
        config?: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; User?: string };
      }
    ).config ?? {};
  const config: ImageConfig = {
    env: c.Env ?? [],
    exposedPorts: [],
    labels: {},
    volumes: [],
    ...(c.Cmd === undefined ? {} : { cmd: c.Cmd }),
    ...(c.Entrypoint === undefined ? {} : { entrypoint: c.Entrypoint }),
    ...(c.WorkingDir === undefined ? {} : { workingDir: c.WorkingDir }),
    ...(c.User === undefined ? {} : { user: c.User }),
  };
  const read = (f: string): Promise<string> => fs.readFile(path.join(rootfs, "etc", f), "utf8");
  return { rootfs, config, passwd: await read("passwd"), group: await read("group") };
}

import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { ImageConfig } from "../types.js";
import { maxNofileFromProc, type HostFacts } from "./host-facts.js";

/** Helpers of the runc integration test (not part of the library's API). */

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const BUSYBOX_TAR = path.join(REPO_ROOT, "infra/images/out/busybox-oci.tar");

/** Whether this process may create containers; root tests must run (never skip) in CI. */
export const rootSkipReason: string | false =
  process.getuid?.() === 0 || process.env.CI === "true" ? false : "needs root (runs in CI)";

/** The image config and unpacked root filesystem of the busybox test image. */
export interface BusyboxRootfs {
  rootfs: string;
  config: ImageConfig;
  passwd: string;
  group: string;
}

interface OciImageConfigBlob {
  config?: { Env?: string[]; Cmd?: string[]; Entrypoint?: string[]; WorkingDir?: string; User?: string };
}

/**
 * Unpacks the busybox test image into `dir`/rootfs with the system tar, building the image tarball first when
 * it is missing. Returns its config as the runtime's ImageConfig.
 */
export async function unpackBusybox(dir: string): Promise<BusyboxRootfs> {
  if (!existsSync(BUSYBOX_TAR)) await execa(process.execPath, [path.join(REPO_ROOT, "infra/images/build-busybox.mjs")]);
  const layout = path.join(dir, "layout");
  const rootfs = path.join(dir, "rootfs");
  await fs.mkdir(layout);
  await fs.mkdir(rootfs);
  await execa("tar", ["-xf", BUSYBOX_TAR, "-C", layout]);
  const blob = (digest: string): string => path.join(layout, "blobs", "sha256", digest.replace(/^sha256:/, ""));
  const readJson = async (file: string): Promise<unknown> => JSON.parse(await fs.readFile(file, "utf8")) as unknown;
  const index = (await readJson(path.join(layout, "index.json"))) as { manifests: { digest: string }[] };
  const manifestDigest = index.manifests[0]?.digest;
  if (manifestDigest === undefined) throw new Error("busybox image has no manifest");
  const manifest = (await readJson(blob(manifestDigest))) as { config: { digest: string }; layers: { digest: string }[] };
  for (const layer of manifest.layers) await execa("tar", ["-xzf", blob(layer.digest), "-C", rootfs]);
  const c = ((await readJson(blob(manifest.config.digest))) as OciImageConfigBlob).config ?? {};
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

/** This machine's facts, read the way the runtime would read them. */
export async function readHostFacts(): Promise<HostFacts> {
  const read = (f: string): Promise<string> => fs.readFile(f, "utf8");
  const v1 = existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const maxNofile = maxNofileFromProc(await read("/proc/self/status"), await read("/proc/self/limits"), await read("/proc/sys/fs/nr_open"));
  return {
    cgroupVersion: v1 ? 1 : 2,
    swapAccounting: v1 ? existsSync("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes") : existsSync("/sys/fs/cgroup/memory.swap.max"),
    cpuCount: os.cpus().length,
    memoryBytes: os.totalmem(),
    ...(maxNofile === undefined ? {} : { maxNofile }),
  };
}

/**
 * Removes the cgroup `name` (a top-level test parent) and everything below it from every mounted hierarchy:
 * cgroup directories go bottom-up with rmdir, as the kernel requires.
 */
export async function removeCgroupTree(name: string): Promise<void> {
  const roots = (await fs.readdir("/sys/fs/cgroup", { withFileTypes: true })).filter((d) => d.isDirectory());
  const dirs = roots.length === 0 || existsSync("/sys/fs/cgroup/cgroup.controllers") ? ["/sys/fs/cgroup"] : [];
  dirs.push(...roots.map((d) => path.join("/sys/fs/cgroup", d.name)));
  for (const root of dirs) await rmdirTree(path.join(root, name));
}

async function rmdirTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await rmdirTree(path.join(dir, e.name));
  await fs.rmdir(dir);
}

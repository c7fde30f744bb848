import { mkdir, rm } from "node:fs/promises";
import { hostname } from "node:os";
import {
  mergeWithImage,
  resolveUser,
  validateSpec,
  type EffectiveProcess,
  type HostFacts,
  type ResolvedUser,
} from "../bundle/index.js";
import type { RuntimeLayout } from "../container/layout.js";
import { overlayOptions, readFromLayers } from "../container/overlay.js";
import type { RecordTable } from "../container/record-table.js";
import { writeJsonAtomic, type ContainerRecord } from "../container/record.js";
import { AlreadyExistsError, RuntimeError, StorageError } from "../errors.js";
import { resolveHealthcheck, type ResolvedHealthcheck } from "../health/index.js";
import type { ImageStore } from "../image/index.js";
import type { ContainerSpec } from "../types.js";
import type { VolumeStore } from "../volume/index.js";
import { writeBundleConfig, writeEtcFiles } from "./bundle-files.js";

const DEFAULT_GRACE_MS = 10_000;

/** What creating a container needs of the runtime. */
export interface CreateContext {
  layout: RuntimeLayout;
  images: ImageStore;
  volumes: VolumeStore;
  records: RecordTable;
  host: HostFacts;
  /** cgroup parent of every container: `/<parent>/<id>`. */
  cgroupParent: string;
  /** The static init bind-mounted into containers that run with `init`. */
  initPath: string;
}

/**
 * Creates container `spec.id` (the caller holds its lock and has checked the id): validates the spec,
 * resolves the image, then claims the bundle dir and fills it in phases (rootfs dirs, user, volumes, /etc
 * files, config.json) and writes the record last; the container exists once its record does. All or nothing:
 * any failure after the claim removes the bundle dir, and a failure that is not a RuntimeError becomes a
 * StorageError. Returns the record, now in `ctx.records`.
 */
export async function createContainer(ctx: CreateContext, spec: ContainerSpec): Promise<ContainerRecord> {
  validateSpec(spec, ctx.host);
  if (ctx.records.has(spec.id)) throw new AlreadyExistsError("container", spec.id);
  const { image, layerDirs } = await ctx.images.resolve(spec.image);
  const merged = mergeWithImage(spec, image.config, { hostHostname: hostname() });
  const healthcheck = resolveHealthcheck(merged.healthcheck);
  const dir = await claimBundleDir(ctx.layout, spec.id);
  try {
    await makeRootfsDirs(ctx.layout, spec.id, layerDirs);
    const user = await resolveImageUser(merged.user, layerDirs);
    const volumes = await createVolumes(ctx.volumes, spec);
    const etcFiles = await writeEtcFiles(dir, spec, merged.hostname);
    const cgroupsPath = `/${ctx.cgroupParent}/${spec.id}`;
    await writeBundleConfig({
      dir,
      spec,
      process: merged,
      user,
      etcFiles,
      volumePaths: volumes.paths,
      cgroupsPath,
      host: ctx.host,
      layerDirs,
      upperDir: ctx.layout.upper(spec.id),
      initPath: ctx.initPath,
    });
    const rec = newRecord(spec, image.id, merged, user, cgroupsPath, healthcheck, volumes.names);
    await writeJsonAtomic(ctx.layout.record(spec.id), rec);
    ctx.records.set(rec);
    return rec;
  } catch (err) {
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    if (err instanceof RuntimeError) throw err;
    throw new StorageError(`runtime: creating container ${spec.id} failed: ${(err as Error).message}`, { cause: err });
  }
}

/** Creates the bundle dir of container `id`; AlreadyExistsError when another create got there first. */
async function claimBundleDir(layout: RuntimeLayout, id: string): Promise<string> {
  const dir = layout.container(id);
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new AlreadyExistsError("container", id);
    throw new StorageError(`runtime: cannot create ${dir}: ${(err as Error).message}`, { cause: err });
  }
  return dir;
}

/** Makes the rootfs mount point, upper, work and log dirs, and checks the overlay options the image makes. */
async function makeRootfsDirs(layout: RuntimeLayout, id: string, layerDirs: readonly string[]): Promise<void> {
  for (const d of [layout.rootfs(id), layout.upper(id), layout.work(id), layout.logDir(id)]) await mkdir(d);
  // Checked now so a bad image fails create, not start.
  overlayOptions(layerDirs, layout.upper(id), layout.work(id));
}

/** Resolves `user` in the image's /etc/passwd and /etc/group, read from its layers without mounting. */
async function resolveImageUser(user: string, layerDirs: readonly string[]): Promise<ResolvedUser> {
  return resolveUser(user, await readFromLayers(layerDirs, "etc/passwd"), await readFromLayers(layerDirs, "etc/group"));
}

/** Creates (or finds) each named volume the spec mounts: their mountpoints by name, and names in mount order. */
async function createVolumes(
  volumes: VolumeStore,
  spec: ContainerSpec,
): Promise<{ paths: Record<string, string>; names: string[] }> {
  const paths: Record<string, string> = {};
  const names: string[] = [];
  for (const m of spec.mounts ?? []) {
    if (m.type !== "volume") continue;
    paths[m.source] = (await volumes.create(m.source)).mountpoint;
    names.push(m.source);
  }
  return { paths, names };
}

/** The record of a container just created: status `created`, with what exec, stop and health need. */
function newRecord(
  spec: ContainerSpec,
  imageId: string,
  merged: EffectiveProcess,
  user: ResolvedUser,
  cgroupsPath: string,
  healthcheck: ResolvedHealthcheck | undefined,
  volumes: string[],
): ContainerRecord {
  return {
    spec,
    imageId,
    args: merged.args,
    cgroupsPath,
    stopSignal: merged.stopSignal,
    stopGracePeriodMs: spec.stopGracePeriodMs ?? DEFAULT_GRACE_MS,
    ...(healthcheck ? { healthcheck } : {}),
    env: merged.env,
    uid: user.uid,
    gid: user.gid,
    additionalGids: user.additionalGids,
    cwd: merged.cwd,
    status: "created",
    createdAt: new Date().toISOString(),
    volumes,
  };
}

import { mkdir, rm } from "node:fs/promises";
import { parseSignal, type HostFacts } from "../bundle/index.js";
import { containerInfo } from "../container/container-info.js";
import { overlayOptions, unmount } from "../container/overlay.js";
import type { ContainerRecord } from "../container/record.js";
import { launchShim } from "../container/shim.js";
import { InvalidStateError } from "../errors.js";
import type { ImageStore } from "../image/index.js";
import { readLogs } from "../logs/index.js";
import { readContainerStats } from "../stats/index.js";
import type { ContainerInfo, ContainerStats, ExitInfo, LogEntry, LogReadOptions } from "../types.js";
import { adoptContainers } from "./adopt-containers.js";
import { ExitReaper } from "./exit-reaper.js";
import type { LifecycleContext } from "./lifecycle-context.js";

/** What the lifecycle needs beyond the shared context: images, the shim, log defaults and host facts. */
export interface LifecycleOptions {
  images: ImageStore;
  /** The shim binary each container runs under. */
  shimPath: string;
  /** Log rotation for containers whose spec sets none. */
  logDefaults: { maxSizeBytes: number; maxFiles: number };
  host: HostFacts;
}

/**
 * What happens to a created container: start (under a new shim), signals, stop, exit, removal, and what can be
 * read of it meanwhile (status, logs, stats). Callers serialize `start` and `remove` per container.
 */
export class ContainerLifecycle {
  /** Collects exits; the exit watcher drives it. */
  readonly reaper: ExitReaper;
  /** Containers whose rootfs is mounted (the shim mounts it at the first start; removal unmounts it). */
  private readonly mounted = new Set<string>();

  constructor(
    private readonly ctx: LifecycleContext,
    private readonly o: LifecycleOptions,
  ) {
    this.reaper = new ExitReaper(ctx);
  }

  /** Re-adopts the containers a previous runtime on the same dirs left (see adoptContainers). */
  adopt(): Promise<void> {
    return adoptContainers(this.ctx, this.reaper, this.mounted);
  }

  /**
   * Starts container `id` under a new shim, which mounts its rootfs if not yet mounted; a stopped container
   * starts again (a fresh runc container, same rootfs). Resolves once its process runs.
   */
  async start(id: string): Promise<ContainerInfo> {
    const { layout, runc } = this.ctx;
    const rec = this.ctx.records.get(id);
    if (rec.status === "running")
      throw new InvalidStateError(id, rec.status, `runtime: container ${id} is already running`);
    if (rec.status === "stopped") {
      // Start again (like `docker start` of an exited container): a fresh runc container, same rootfs.
      await runc.delete(id, true);
      await rm(layout.exitFile(id), { force: true });
    }
    const rootfs = layout.rootfs(id);
    const overlay = this.mounted.has(id)
      ? undefined
      : overlayOptions((await this.o.images.resolve(rec.imageId)).layerDirs, layout.upper(id), layout.work(id));
    await mkdir(layout.runState(id), { recursive: true });
    const log = { ...this.o.logDefaults, ...rec.spec.log };
    const started = await launchShim({
      ...(overlay ? { overlay: { target: rootfs, options: overlay } } : {}),
      shim: this.o.shimPath,
      id,
      bundle: layout.container(id),
      runc: runc.binary,
      runcRoot: layout.runcRoot,
      logDir: layout.logDir(id),
      exitFile: layout.exitFile(id),
      pidFile: layout.pidFile(id),
      logMaxSize: log.maxSizeBytes,
      logMaxFiles: log.maxFiles,
    }).catch(async (err: unknown) => {
      // The shim may have mounted the rootfs before runc failed.
      await unmount(rootfs).catch(() => {});
      throw err;
    });
    this.mounted.add(id);
    const now = new Date().toISOString();
    const next: ContainerRecord = {
      ...rec,
      status: "running",
      startedAt: now,
      initPid: started.initPid,
      shimPid: started.shimPid,
    };
    delete next.exit;
    await this.ctx.records.persist(next);
    void this.ctx.exits.exitOf(id);
    this.ctx.events.emit({ type: "start", id, time: now });
    this.ctx.health.start(next);
    // A container that exited at once may have written its exit file before we listened.
    this.reaper.reapSoon(id);
    return this.describe(next);
  }

  /** Sends `signal` to running container `id`'s init. */
  async kill(id: string, signal: string | number): Promise<void> {
    const rec = this.ctx.records.get(id);
    if (rec.status !== "running")
      throw new InvalidStateError(id, rec.status, `runtime: container ${id} is not running (${rec.status})`);
    await this.ctx.runc.kill(id, parseSignal(signal));
  }

  /** The stop signal, then SIGKILL after the grace period (the record's unless given); resolves with the exit. */
  async stop(id: string, options: { graceMs?: number } = {}): Promise<ExitInfo> {
    const rec = this.ctx.records.get(id);
    if (rec.status === "created")
      throw new InvalidStateError(id, rec.status, `runtime: container ${id} was never started`);
    if (rec.status === "stopped" && rec.exit) return rec.exit;
    const grace = options.graceMs ?? rec.stopGracePeriodMs;
    const exited = this.wait(id);
    if (grace > 0) await this.ctx.runc.kill(id, rec.stopSignal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.ctx.runc.kill(id, 9, true);
    return exited;
  }

  /** Removes container `id` and everything of it; a running one only with `force` (SIGKILL first). */
  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    const { layout, runc } = this.ctx;
    const rec = this.ctx.records.get(id);
    if (rec.status === "running") {
      if (!options.force)
        throw new InvalidStateError(
          id,
          rec.status,
          `runtime: container ${id} is running; stop it first or remove with force`,
        );
      await runc.kill(id, 9, true);
      await this.wait(id);
    }
    this.ctx.health.stop(id);
    await runc.delete(id, true);
    await unmount(layout.rootfs(id));
    this.mounted.delete(id);
    await rm(layout.container(id), { recursive: true, force: true });
    await rm(layout.runState(id), { recursive: true, force: true });
    await rm(layout.exitFile(id), { force: true });
    this.ctx.records.delete(id);
    this.ctx.exits.delete(id);
  }

  /** Resolves with container `id`'s exit: at once if it has exited, else when it does (or `signal` aborts). */
  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
    const rec = this.ctx.records.get(id);
    if (rec.status === "stopped" && rec.exit) return Promise.resolve(rec.exit);
    return this.ctx.exits.exitOrAbort(id, options.signal);
  }

  /** Container `id`'s status. */
  inspect(id: string): Promise<ContainerInfo> {
    return Promise.resolve().then(() => this.describe(this.ctx.records.get(id)));
  }

  /** Every container's status, oldest first. */
  list(): Promise<ContainerInfo[]> {
    return Promise.resolve(
      this.ctx.records
        .all()
        .map((r) => this.describe(r))
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    );
  }

  /** The ContainerInfo of `rec`, with its current health state. */
  describe(rec: ContainerRecord): ContainerInfo {
    return containerInfo(rec, this.ctx.health.stateOf(rec.spec.id));
  }

  /** Container `id`'s log entries; following ends once it has exited and its output is drained. */
  async *logs(id: string, options: LogReadOptions = {}): AsyncGenerator<LogEntry> {
    const rec = this.ctx.records.get(id);
    const done: Promise<void> = rec.status === "stopped" ? Promise.resolve() : this.ctx.exits.exitOf(id).then(() => {});
    yield* readLogs(this.ctx.layout.logDir(id), options, done);
  }

  /** Running container `id`'s cpu, memory and pids, from its cgroups. */
  async stats(id: string): Promise<ContainerStats> {
    const rec = this.ctx.records.get(id);
    if (rec.status !== "running")
      throw new InvalidStateError(
        id,
        rec.status,
        `runtime: container ${id} is not running; stats exist only while it runs`,
      );
    return readContainerStats(this.ctx.cgroups, rec.cgroupsPath, this.o.host.memoryBytes);
  }
}

import { randomBytes } from "node:crypto";
import { mkdir, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { CONTAINER_ID_PATTERN, mergeEnv, parseSignal, resolveUser, type HostFacts } from "./bundle/index.js";
import { ExitWatcher, DEFAULT_INIT_PATH, DEFAULT_SHIM_PATH, checkExecutable, isShimAlive, launchShim, readExitFile } from "./container/shim.js";
import { KeyedLock } from "./util/keyed-lock.js";
import { RuntimeLayout } from "./container/layout.js";
import { mountPoints, overlayOptions, unmount } from "./container/overlay.js";
import { RuncClient } from "./container/runc.js";
import { readRecord, writeJsonAtomic, type ContainerRecord } from "./container/record.js";
import {
  ExecTimeoutError,
  ExecutorClosedError,
  InvalidSpecError,
  InvalidStateError,
  StorageError,
} from "./errors.js";
import type { Executor } from "./executor.js";
import { detectHostFacts } from "./host-facts.js";
import { HealthChecks } from "./lifecycle/health-checks.js";
import { ContainerEvents } from "./container/container-events.js";
import { containerInfo } from "./container/container-info.js";
import { ExitWaiters } from "./container/exit-waiters.js";
import { RecordTable } from "./container/record-table.js";
import { createContainer, type CreateContext } from "./create/create-container.js";
import { ImageStore } from "./image/index.js";
import type { ImageFetcher } from "./image/source.js";
import { RegistryClient } from "./image/registry/index.js";
import { readLogs } from "./logs/index.js";
import {
  detectCgroupLayout,
  readContainerStats,
  readOomKillCount,
  type CgroupLayout,
} from "./stats/index.js";
import type {
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  ExecResult,
  ExecSpec,
  ExitInfo,
  LogEntry,
  LogReadOptions,
} from "./types.js";
import { VolumeStore } from "./volume/index.js";

/** How to open the runtime. */
export interface RuntimeOptions {
  /** Durable state: images, volumes, containers (default /var/lib/shoal/runtime). */
  dataDir: string;
  /** Volatile state: runc's root, shim pid and exit files (default /run/shoal/runtime; a tmpfs). */
  runDir: string;
  /** The runc binary (default `runc` on the PATH). */
  runc?: string;
  /** The shim binary (default: the one built in this package's bin/). */
  shim?: string;
  /** The static init run as PID 1 of containers with `init` (default: the one built in this package's bin/). */
  init?: string;
  /**
   * cgroup parent of every container (`/<parent>/<id>`; default `shoal`). Give each node its own when several
   * share one host's cgroup hierarchy.
   */
  cgroupParent?: string;
  /** Registry client for `images.pull` (default: a RegistryClient with no credentials). */
  fetcher?: ImageFetcher;
  /** Log rotation defaults for containers whose spec sets none. */
  log?: { maxSizeBytes: number; maxFiles: number };
}

const DEFAULT_LOG = { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 };

/**
 * The real Executor: images in an on-disk store, rootfs on overlayfs, containers run by runc under one shim
 * each. Open it with `openRuntime`; a runtime opened on the dirs of a previous one re-adopts its containers.
 */
export class Runtime implements Executor {
  readonly images: ImageStore;
  readonly volumes: VolumeStore;
  private readonly records: RecordTable;
  private readonly creation: CreateContext;
  /** Containers whose rootfs is mounted (the shim mounts it at the first start; removal unmounts it). */
  private readonly mounted = new Set<string>();
  private readonly exits = new ExitWaiters();
  private readonly events = new ContainerEvents();
  private readonly health = new HealthChecks((id, argv, timeoutMs) => this.exec(id, { cmd: argv, timeoutMs }), this.events);
  private readonly lock = new KeyedLock();
  private watcher: ExitWatcher | undefined;
  private closed = false;

  private constructor(
    readonly layout: RuntimeLayout,
    private readonly runc: RuncClient,
    private readonly shimPath: string,
    initPath: string,
    private readonly cgroups: CgroupLayout,
    private readonly host: HostFacts,
    cgroupParent: string,
    private readonly logDefaults: { maxSizeBytes: number; maxFiles: number },
    images: ImageStore,
  ) {
    this.records = new RecordTable(layout);
    this.images = images;
    this.images.setUsersOf((imageId) => this.records.usersOfImage(imageId));
    this.volumes = new VolumeStore({ root: layout.volumes, usersOf: (name) => this.records.usersOfVolume(name) });
    this.creation = { layout, images, volumes: this.volumes, records: this.records, host, cgroupParent, initPath };
  }

  /** Opens the runtime: checks runc and the shim, loads the stores and re-adopts existing containers. */
  static async open(o: RuntimeOptions): Promise<Runtime> {
    const layout = new RuntimeLayout(o.dataDir, o.runDir);
    const cgroupParent = o.cgroupParent ?? "shoal";
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(cgroupParent)) {
      throw new InvalidSpecError("cgroupParent", `${JSON.stringify(cgroupParent)} is not a relative cgroup path like "shoal" or "shoal/node1"`);
    }
    const runc = new RuncClient(o.runc ?? "runc", layout.runcRoot);
    await runc.version();
    const shim = o.shim ?? DEFAULT_SHIM_PATH;
    await checkExecutable(shim);
    const init = o.init ?? DEFAULT_INIT_PATH;
    await checkExecutable(init);
    try {
      for (const d of [layout.containers, layout.runcRoot, layout.runContainers, layout.exits]) await mkdir(d, { recursive: true });
    } catch (err) {
      throw new StorageError(`runtime: cannot create the runtime's directories under ${o.dataDir} and ${o.runDir}: ${(err as Error).message}`, { cause: err });
    }
    const cgroups = await detectCgroupLayout();
    const host = await detectHostFacts(cgroups);
    const images = await ImageStore.open({ root: layout.images, fetcher: o.fetcher ?? new RegistryClient() });
    const rt = new Runtime(layout, runc, shim, init, cgroups, host, cgroupParent, o.log ?? DEFAULT_LOG, images);
    await rt.adopt();
    rt.watcher = new ExitWatcher(layout.exits, (id) => rt.reapSoon(id), () => void rt.reapAll().catch(() => {}));
    return rt;
  }

  // ---- lifecycle ----------------------------------------------------------------------------------------

  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    if (typeof spec?.id !== "string" || !CONTAINER_ID_PATTERN.test(spec.id)) {
      throw new InvalidSpecError("id", `${JSON.stringify(spec?.id)} must match ${CONTAINER_ID_PATTERN.source}`);
    }
    return await this.lock.run(spec.id, async () => {
      this.checkOpen();
      return this.info(await createContainer(this.creation, spec));
    });
  }

  start(id: string): Promise<ContainerInfo> {
    return this.lock.run(id, async () => {
      this.checkOpen();
      const rec = this.records.get(id);
      if (rec.status === "running") throw new InvalidStateError(id, rec.status, `runtime: container ${id} is already running`);
      if (rec.status === "stopped") {
        // Start again (like `docker start` of an exited container): a fresh runc container, same rootfs.
        await this.runc.delete(id, true);
        await rm(this.layout.exitFile(id), { force: true });
      }
      const rootfs = this.layout.rootfs(id);
      const overlay = this.mounted.has(id)
        ? undefined
        : overlayOptions((await this.images.resolve(rec.imageId)).layerDirs, this.layout.upper(id), this.layout.work(id));
      await mkdir(this.layout.runState(id), { recursive: true });
      const log = { ...this.logDefaults, ...rec.spec.log };
      const started = await launchShim({
        ...(overlay ? { overlay: { target: rootfs, options: overlay } } : {}),
        shim: this.shimPath,
        id,
        bundle: this.layout.container(id),
        runc: this.runc.binary,
        runcRoot: this.layout.runcRoot,
        logDir: this.layout.logDir(id),
        exitFile: this.layout.exitFile(id),
        pidFile: this.layout.pidFile(id),
        logMaxSize: log.maxSizeBytes,
        logMaxFiles: log.maxFiles,
      }).catch(async (err: unknown) => {
        // The shim may have mounted the rootfs before runc failed.
        await unmount(rootfs).catch(() => {});
        throw err;
      });
      this.mounted.add(id);
      const now = new Date().toISOString();
      const next: ContainerRecord = { ...rec, status: "running", startedAt: now, initPid: started.initPid, shimPid: started.shimPid };
      delete next.exit;
      await this.records.persist(next);
      void this.exits.exitOf(id);
      this.events.emit({ type: "start", id, time: now });
      this.health.start(next);
      // A container that exited at once may have written its exit file before we listened.
      this.reapSoon(id);
      return this.info(next);
    });
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const rec = this.records.get(id);
    if (rec.status !== "running") throw new InvalidStateError(id, rec.status, `runtime: container ${id} is not running (${rec.status})`);
    await this.runc.kill(id, parseSignal(signal));
  }

  async stop(id: string, options: { graceMs?: number } = {}): Promise<ExitInfo> {
    const rec = this.records.get(id);
    if (rec.status === "created") throw new InvalidStateError(id, rec.status, `runtime: container ${id} was never started`);
    if (rec.status === "stopped" && rec.exit) return rec.exit;
    const grace = options.graceMs ?? rec.stopGracePeriodMs;
    const exited = this.wait(id);
    if (grace > 0) await this.runc.kill(id, rec.stopSignal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), grace))),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.runc.kill(id, 9, true);
    return exited;
  }

  remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    return this.lock.run(id, async () => {
      const rec = this.records.get(id);
      if (rec.status === "running") {
        if (!options.force) throw new InvalidStateError(id, rec.status, `runtime: container ${id} is running; stop it first or remove with force`);
        await this.runc.kill(id, 9, true);
        await this.wait(id);
      }
      this.health.stop(id);
      await this.runc.delete(id, true);
      await unmount(this.layout.rootfs(id));
      this.mounted.delete(id);
      await rm(this.layout.container(id), { recursive: true, force: true });
      await rm(this.layout.runState(id), { recursive: true, force: true });
      await rm(this.layout.exitFile(id), { force: true });
      this.records.delete(id);
      this.exits.delete(id);
    });
  }

  inspect(id: string): Promise<ContainerInfo> {
    return Promise.resolve().then(() => this.info(this.records.get(id)));
  }

  list(): Promise<ContainerInfo[]> {
    return Promise.resolve(this.records.all().map((r) => this.info(r)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)));
  }

  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
    const rec = this.records.get(id);
    if (rec.status === "stopped" && rec.exit) return Promise.resolve(rec.exit);
    return this.exits.exitOrAbort(id, options.signal);
  }

  async *logs(id: string, options: LogReadOptions = {}): AsyncGenerator<LogEntry> {
    const rec = this.records.get(id);
    const done: Promise<void> = rec.status === "stopped" ? Promise.resolve() : this.exits.exitOf(id).then(() => {});
    yield* readLogs(this.layout.logDir(id), options, done);
  }

  async stats(id: string): Promise<ContainerStats> {
    const rec = this.records.get(id);
    if (rec.status !== "running") throw new InvalidStateError(id, rec.status, `runtime: container ${id} is not running; stats exist only while it runs`);
    return readContainerStats(this.cgroups, rec.cgroupsPath, this.host.memoryBytes);
  }

  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const rec = this.records.get(id);
    if (rec.status !== "running") throw new InvalidStateError(id, rec.status, `runtime: cannot exec in container ${id}: it is ${rec.status}, not running`);
    if (!Array.isArray(spec.cmd) || spec.cmd.length === 0) throw new InvalidSpecError("cmd", "give the command to run as a non-empty list");
    const user = spec.user
      ? resolveUser(
          spec.user,
          await readFile(join(this.layout.rootfs(id), "etc/passwd"), "utf8").catch(() => undefined),
          await readFile(join(this.layout.rootfs(id), "etc/group"), "utf8").catch(() => undefined),
        )
      : { uid: rec.uid, gid: rec.gid, additionalGids: rec.additionalGids };
    const pidFile = join(this.layout.runState(id), `exec-${randomBytes(6).toString("hex")}.pid`);
    const { child, done } = this.runc.exec(id, {
      args: spec.cmd,
      env: mergeEnv([...rec.env, ...(spec.env ?? [])]),
      user: `${user.uid}:${user.gid}`,
      additionalGids: user.additionalGids,
      cwd: spec.workdir ?? rec.cwd,
      pidFile,
      ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}),
    });
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (spec.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        // Kill the process inside the container (runc exec cannot pass SIGKILL on), then runc itself.
        void readFile(pidFile, "utf8")
          .then((p) => process.kill(Number(p), "SIGKILL"))
          .catch(() => {})
          .finally(() => child.kill("SIGKILL"));
      }, spec.timeoutMs);
    }
    try {
      const r = await done;
      if (timedOut) throw new ExecTimeoutError(id, spec.timeoutMs ?? 0);
      return r;
    } finally {
      clearTimeout(timer);
      await rm(pidFile, { force: true });
    }
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.health.close();
    return Promise.resolve();
  }

  // ---- exits and adoption ---------------------------------------------------------------------------------

  /** reap() in the background; a failure leaves the container running until the next poll retries. */
  private reapSoon(id: string): void {
    void this.reap(id).catch(() => {});
  }

  /** Collects a container's exit if its shim wrote one: cgroup OOM count, record, waiters, events. */
  private reap(id: string): Promise<void> {
    return this.lock.run(`reap:${id}`, async () => {
      const rec = this.records.find(id);
      if (!rec || rec.status !== "running") return;
      const exit = await readExitFile(this.layout.exitFile(id));
      if (!exit) return;
      const oomKilled = (await readOomKillCount(this.cgroups, rec.cgroupsPath).catch(() => 0)) > 0;
      if (this.records.find(id) !== rec) return;
      await this.finish(rec, { exitCode: exit.status, oomKilled, finishedAt: exit.time });
    });
  }

  private async reapAll(): Promise<void> {
    for (const id of this.records.ids()) await this.settle(id);
  }

  /**
   * Reaps a running container's exit, or ends it as lost when its shim is gone without an exit file. The shim
   * is checked before the exit file is read: a shim writes its exit file before it dies, so a shim found dead
   * with no exit file afterwards really lost it.
   */
  private async settle(id: string): Promise<void> {
    const rec = this.records.find(id);
    if (!rec || rec.status !== "running") return;
    const alive = rec.shimPid !== undefined && (await isShimAlive(rec.shimPid, id));
    await this.reap(id);
    const now = this.records.find(id);
    if (now?.status === "running" && !alive) await this.lostShim(now);
  }

  /** The shim died without writing an exit (killed, or the host rebooted): the status is unknowable. */
  private async lostShim(rec: ContainerRecord): Promise<void> {
    // A container whose shim is gone is unmanaged: nobody would collect its output or exit. End it.
    await this.runc.kill(rec.spec.id, 9, true).catch(() => {});
    await this.finish(rec, {
      exitCode: 255,
      oomKilled: false,
      finishedAt: new Date().toISOString(),
      error: "runtime: the container's shim is gone (killed, or the host restarted), so its exit status is unknown",
    });
  }

  private async finish(rec: ContainerRecord, exit: ExitInfo): Promise<void> {
    const id = rec.spec.id;
    const next: ContainerRecord = { ...rec, status: "stopped", exit };
    delete next.initPid;
    this.records.set(next);
    // The exit file stays until the container is removed or restarted, so a failed write here is redone
    // by the next runtime's adoption.
    await writeJsonAtomic(this.layout.record(id), next).catch(() => {});
    this.health.stop(id);
    this.exits.resolve(id, exit);
    if (exit.oomKilled) this.events.emit({ type: "oom", id, time: exit.finishedAt });
    this.events.emit({ type: "exit", id, time: exit.finishedAt, exit });
  }

  /** Loads every container record; running ones are re-adopted, leftovers of interrupted creates removed. */
  private async adopt(): Promise<void> {
    const mounts = await mountPoints();
    for (const id of await readdir(this.layout.containers)) {
      if (mounts.has(this.layout.rootfs(id))) this.mounted.add(id);
      const rec = await readRecord(this.layout.record(id));
      if (!rec) {
        await unmount(this.layout.rootfs(id)).catch(() => {});
        await rm(this.layout.container(id), { recursive: true, force: true });
        continue;
      }
      this.records.set(rec);
      if (rec.status !== "running") continue;
      void this.exits.exitOf(id);
      await this.settle(id);
      const now = this.records.find(id);
      if (now?.status === "running") this.health.start(now);
    }
    // runc state and run dirs of containers we have no record of.
    for (const id of await readdir(this.layout.runContainers)) {
      if (this.records.has(id)) continue;
      await this.runc.delete(id, true).catch(() => {});
      await rm(this.layout.runState(id), { recursive: true, force: true });
      await rm(this.layout.exitFile(id), { force: true });
    }
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new ExecutorClosedError("use the runtime");
  }

  private info(rec: ContainerRecord): ContainerInfo {
    return containerInfo(rec, this.health.stateOf(rec.spec.id));
  }
}

/** Opens the node's container runtime (see Runtime). */
export function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  return Runtime.open(options);
}

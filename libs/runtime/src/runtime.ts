import { mkdir } from "node:fs/promises";
import { CONTAINER_ID_PATTERN, type HostFacts } from "./bundle/index.js";
import { ContainerEvents } from "./container/container-events.js";
import { ExitWaiters } from "./container/exit-waiters.js";
import { RuntimeLayout } from "./container/layout.js";
import { RecordTable } from "./container/record-table.js";
import { RuncClient } from "./container/runc.js";
import { DEFAULT_INIT_PATH, DEFAULT_SHIM_PATH, ExitWatcher, checkExecutable } from "./container/shim.js";
import { createContainer, type CreateContext } from "./create/create-container.js";
import { ExecutorClosedError, InvalidSpecError, StorageError } from "./errors.js";
import type { Executor } from "./executor.js";
import { detectHostFacts } from "./host-facts.js";
import { ImageStore } from "./image/index.js";
import { RegistryClient } from "./image/registry/index.js";
import type { ImageFetcher } from "./image/source.js";
import { ContainerLifecycle } from "./lifecycle/container-lifecycle.js";
import { execInContainer } from "./lifecycle/exec-in-container.js";
import { HealthChecks } from "./lifecycle/health-checks.js";
import type { LifecycleContext } from "./lifecycle/lifecycle-context.js";
import { detectCgroupLayout, type CgroupLayout } from "./stats/index.js";
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
import { KeyedLock } from "./util/keyed-lock.js";
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

/** What `Runtime.open` found and checked on the host, from which the runtime's modules are built. */
interface RuntimeHost {
  layout: RuntimeLayout;
  runc: RuncClient;
  shimPath: string;
  initPath: string;
  cgroups: CgroupLayout;
  host: HostFacts;
  cgroupParent: string;
  logDefaults: { maxSizeBytes: number; maxFiles: number };
  images: ImageStore;
}

/**
 * The real Executor: images in an on-disk store, rootfs on overlayfs, containers run by runc under one shim
 * each. Open it with `openRuntime`; a runtime opened on the dirs of a previous one re-adopts its containers.
 *
 * A facade: creating a container is `createContainer` (create/), everything after is `ContainerLifecycle`
 * (lifecycle/), exec is `execInContainer`. The runtime holds what they share and serializes `create`, `start`
 * and `remove` per container.
 */
export class Runtime implements Executor {
  readonly images: ImageStore;
  readonly volumes: VolumeStore;
  readonly layout: RuntimeLayout;
  private readonly events = new ContainerEvents();
  private readonly context: LifecycleContext;
  private readonly creation: CreateContext;
  private readonly lifecycle: ContainerLifecycle;
  /** Serializes create, start and remove per container id. */
  private readonly lock = new KeyedLock();
  private watcher: ExitWatcher | undefined;
  private closed = false;

  private constructor(h: RuntimeHost) {
    const records = new RecordTable(h.layout);
    this.layout = h.layout;
    this.images = h.images;
    this.images.setUsersOf((imageId) => records.usersOfImage(imageId));
    this.volumes = new VolumeStore({ root: h.layout.volumes, usersOf: (name) => records.usersOfVolume(name) });
    const health = new HealthChecks((id, argv, timeoutMs) => this.exec(id, { cmd: argv, timeoutMs }), this.events);
    this.context = {
      layout: h.layout,
      runc: h.runc,
      cgroups: h.cgroups,
      records,
      exits: new ExitWaiters(),
      events: this.events,
      health,
    };
    this.creation = {
      layout: h.layout,
      images: h.images,
      volumes: this.volumes,
      records,
      host: h.host,
      cgroupParent: h.cgroupParent,
      initPath: h.initPath,
    };
    this.lifecycle = new ContainerLifecycle(this.context, {
      images: h.images,
      shimPath: h.shimPath,
      logDefaults: h.logDefaults,
      host: h.host,
    });
  }

  /** Opens the runtime: checks runc and the shim, loads the stores and re-adopts existing containers. */
  static async open(o: RuntimeOptions): Promise<Runtime> {
    const layout = new RuntimeLayout(o.dataDir, o.runDir);
    const cgroupParent = o.cgroupParent ?? "shoal";
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/.test(cgroupParent)) {
      throw new InvalidSpecError(
        "cgroupParent",
        `${JSON.stringify(cgroupParent)} is not a relative cgroup path like "shoal" or "shoal/node1"`,
      );
    }
    const runc = new RuncClient(o.runc ?? "runc", layout.runcRoot);
    await runc.version();
    const shimPath = o.shim ?? DEFAULT_SHIM_PATH;
    await checkExecutable(shimPath);
    const initPath = o.init ?? DEFAULT_INIT_PATH;
    await checkExecutable(initPath);
    try {
      for (const d of [layout.containers, layout.runcRoot, layout.runContainers, layout.exits])
        await mkdir(d, { recursive: true });
    } catch (err) {
      throw new StorageError(
        `runtime: cannot create the runtime's directories under ${o.dataDir} and ${o.runDir}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const cgroups = await detectCgroupLayout();
    const host = await detectHostFacts(cgroups);
    const images = await ImageStore.open({ root: layout.images, fetcher: o.fetcher ?? new RegistryClient() });
    const rt = new Runtime({
      layout,
      runc,
      shimPath,
      initPath,
      cgroups,
      host,
      cgroupParent,
      logDefaults: o.log ?? DEFAULT_LOG,
      images,
    });
    await rt.lifecycle.adopt();
    const reaper = rt.lifecycle.reaper;
    rt.watcher = new ExitWatcher(
      layout.exits,
      (id) => reaper.reapSoon(id),
      () => void reaper.reapAll().catch(() => {}),
    );
    return rt;
  }

  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    if (typeof spec?.id !== "string" || !CONTAINER_ID_PATTERN.test(spec.id)) {
      throw new InvalidSpecError("id", `${JSON.stringify(spec?.id)} must match ${CONTAINER_ID_PATTERN.source}`);
    }
    return await this.lock.run(spec.id, async () => {
      this.checkOpen();
      return this.lifecycle.describe(await createContainer(this.creation, spec));
    });
  }

  start(id: string): Promise<ContainerInfo> {
    return this.lock.run(id, async () => {
      this.checkOpen();
      return await this.lifecycle.start(id);
    });
  }

  kill(id: string, signal: string | number): Promise<void> {
    return this.lifecycle.kill(id, signal);
  }

  stop(id: string, options: { graceMs?: number } = {}): Promise<ExitInfo> {
    return this.lifecycle.stop(id, options);
  }

  remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    return this.lock.run(id, () => this.lifecycle.remove(id, options));
  }

  inspect(id: string): Promise<ContainerInfo> {
    return this.lifecycle.inspect(id);
  }

  list(): Promise<ContainerInfo[]> {
    return this.lifecycle.list();
  }

  wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
    return this.lifecycle.wait(id, options);
  }

  logs(id: string, options: LogReadOptions = {}): AsyncGenerator<LogEntry> {
    return this.lifecycle.logs(id, options);
  }

  stats(id: string): Promise<ContainerStats> {
    return this.lifecycle.stats(id);
  }

  exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    return execInContainer(this.context, id, spec);
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.context.health.close();
    return Promise.resolve();
  }

  private checkOpen(): void {
    if (this.closed) throw new ExecutorClosedError("use the runtime");
  }
}

/** Opens the node's container runtime (see Runtime). */
export function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  return Runtime.open(options);
}

import { NotFoundError } from "../errors.js";
import type {
  ContainerEvent,
  ContainerInfo,
  ContainerSpec,
  ContainerStats,
  ContainerStatus,
  ExitInfo,
  HealthState,
} from "../types.js";
import { type Clock, ManualClock } from "./memory-clock.js";
import type { ResolvedHealthcheck } from "../health/health-config.js";
import { MemoryImageService } from "./memory-images.js";
import type { MemoryLog } from "./memory-logs.js";
import { SimProcess } from "./memory-process.js";
import type { Program } from "./memory-shell.js";
import { SIGKILL } from "./memory-signals.js";
import { MemoryVolumeService } from "./memory-volumes.js";

/** Options of {@link MemoryHost}. */
export interface MemoryHostOptions {
  /** Drives sleeps, timeouts, grace periods and health probes; default a new {@link ManualClock}. */
  clock?: Clock;
  /** Where volume mountpoints (which do not exist) are said to be; default `/var/lib/shoal`. */
  dataDir?: string;
  /** The host memory stats report as the limit of unlimited containers; default 24 GiB. */
  memoryBytes?: number;
}

/** A container as the host keeps it. Owned by the host; executors read and change it through the host. */
export interface MemoryContainer {
  readonly spec: ContainerSpec;
  readonly imageId: string;
  readonly args: string[];
  readonly env: string[];
  readonly program: Program;
  readonly labels: Record<string, string>;
  readonly stopSignal: number;
  readonly health: ResolvedHealthcheck | undefined;
  /** The health probe's parsed command, when there is a check. */
  readonly probe: Program | undefined;
  readonly createdAt: string;
  readonly log: MemoryLog;
  status: ContainerStatus;
  startedAt?: string;
  pid?: number;
  exit?: ExitInfo;
  oomKilled: boolean;
  healthState?: HealthState;
  init?: SimProcess;
  readonly execs: Set<SimProcess>;
  /** Signals the init ignores (test hook), on top of what its script traps. */
  readonly ignoredSignals: Set<number>;
  stats: { cpuUsageNs: number; memoryUsageBytes: number };
  /** Paths its processes touched (the twin has no file system; see the interpreter). */
  readonly files: Set<string>;
  waiters: { resolve(exit: ExitInfo): void; reject(err: Error): void }[];
}

/**
 * The machine the in-memory executor runs on: images, volumes and containers with their simulated processes,
 * which keep running (on the host's clock) while no executor is open. An agent restart is modelled by closing
 * an executor and opening a new one on the same host.
 */
export class MemoryHost {
  readonly clock: Clock;
  readonly memoryBytes: number;
  readonly images: MemoryImageService;
  readonly volumes: MemoryVolumeService;
  readonly containers = new Map<string, MemoryContainer>();
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  private nextPid = 1000;

  constructor(options: MemoryHostOptions = {}) {
    this.clock = options.clock ?? new ManualClock();
    this.memoryBytes = options.memoryBytes ?? 24 * 2 ** 30;
    this.images = new MemoryImageService((imageId) => this.usersOf((c) => c.imageId === imageId));
    this.volumes = new MemoryVolumeService(
      `${options.dataDir ?? "/var/lib/shoal"}/volumes`,
      () => this.clock.now(),
      (name) => this.usersOf((c) => (c.spec.mounts ?? []).some((m) => m.type === "volume" && m.source === name)),
    );
  }

  /** The current time as an ISO string. */
  isoNow(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** The container `id`; NotFoundError when there is none. */
  get(id: string): MemoryContainer {
    const c = this.containers.get(id);
    if (!c) throw new NotFoundError("container", id);
    return c;
  }

  /** Listens to every container event on this host; returns the unsubscribe function. */
  on(listener: (event: ContainerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Delivers an event to every listener. */
  emit(event: ContainerEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  /**
   * Starts the container's process: it is `running` at once, and its commands run in a microtask, so the caller
   * sees the start before any output or exit.
   */
  start(c: MemoryContainer): void {
    c.status = "running";
    c.startedAt = this.isoNow();
    c.pid = this.nextPid++;
    c.oomKilled = false;
    const proc: SimProcess = new SimProcess(
      c.program,
      { clock: this.clock, write: (s, t) => c.log.write(s, t), env: c.env, files: c.files },
      (code) => this.exited(c, proc, code),
    );
    proc.ignore(c.ignoredSignals);
    c.init = proc;
    this.emit({ type: "start", id: c.spec.id, time: c.startedAt });
    queueMicrotask(() => {
      if (proc.exited === undefined) proc.start();
    });
  }

  /** Delivers signal `n` to the container's init, if it runs. */
  signal(c: MemoryContainer, n: number): void {
    c.init?.signal(n);
  }

  /** The kernel's OOM killer strikes: an `oom` event, then the init dies of SIGKILL with `oomKilled` set. */
  oomKill(c: MemoryContainer): void {
    if (!c.init) return;
    c.oomKilled = true;
    this.emit({ type: "oom", id: c.spec.id, time: this.isoNow() });
    c.init.signal(SIGKILL);
  }

  /**
   * Runs a process beside the init (exec, health probe). Killed with SIGKILL after `timeoutMs` (then `timedOut`)
   * or when the container stops. Output keeps the last 64 KiB of each stream.
   */
  run(
    c: MemoryContainer,
    program: Program,
    options: { env: string[]; stdin?: string; timeoutMs?: number },
  ): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
    return new Promise((resolve) => {
      const out = { stdout: "", stderr: "" };
      let timer: unknown;
      let timedOut = false;
      const proc: SimProcess = new SimProcess(
        program,
        {
          clock: this.clock,
          env: options.env,
          files: c.files,
          stdin: options.stdin ?? "",
          write: (s, t) => (out[s] = (out[s] + t).slice(-65536)),
        },
        (exitCode) => {
          c.execs.delete(proc);
          if (timer !== undefined) this.clock.clearTimeout(timer);
          resolve({ exitCode, ...out, timedOut });
        },
      );
      c.execs.add(proc);
      if (options.timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          timer = undefined;
          timedOut = true;
          proc.signal(SIGKILL);
        }, options.timeoutMs);
      }
      proc.start();
    });
  }

  /** Resolves when the container has exited (at once if it has); rejects with NotFoundError if it is removed first. */
  waitExit(c: MemoryContainer): Promise<ExitInfo> {
    if (c.status === "stopped" && c.exit) return Promise.resolve({ ...c.exit });
    return new Promise((resolve, reject) => c.waiters.push({ resolve, reject }));
  }

  /** Forgets a container that is not running; pending waits reject with NotFoundError. */
  delete(c: MemoryContainer): void {
    this.containers.delete(c.spec.id);
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters)
      w.reject(
        new NotFoundError("container", c.spec.id, `runtime: container ${c.spec.id} was removed before it exited`),
      );
    c.log.notify();
  }

  /** What inspect reports. */
  info(c: MemoryContainer): ContainerInfo {
    const info: ContainerInfo = {
      id: c.spec.id,
      image: c.spec.image,
      imageId: c.imageId,
      status: c.status,
      createdAt: c.createdAt,
      oomKilled: c.exit?.oomKilled ?? false,
      labels: { ...c.labels },
      args: [...c.args],
      spec: structuredClone(c.spec),
    };
    if (c.pid !== undefined) info.pid = c.pid;
    if (c.startedAt !== undefined) info.startedAt = c.startedAt;
    if (c.exit) {
      info.finishedAt = c.exit.finishedAt;
      info.exitCode = c.exit.exitCode;
    }
    if (c.healthState) info.health = structuredClone(c.healthState);
    return info;
  }

  /** Stats of a running container: what {@link MemoryContainer.stats} says, and one pid per process. */
  stats(c: MemoryContainer): ContainerStats {
    return {
      ...c.stats,
      memoryLimitBytes: c.spec.resources?.memoryBytes ?? this.memoryBytes,
      pids: (c.init ? 1 : 0) + c.execs.size,
      read: this.isoNow(),
    };
  }

  /**
   * Kills every process on the host with SIGKILL (tests' cleanup, so no timer outlives a test when the clock
   * is real). Containers stay, stopped.
   */
  killAll(): void {
    for (const c of this.containers.values()) {
      for (const e of [...c.execs]) e.signal(SIGKILL);
      c.init?.signal(SIGKILL);
    }
  }

  private exited(c: MemoryContainer, proc: SimProcess, exitCode: number): void {
    if (c.init !== proc) return;
    delete c.init;
    for (const e of [...c.execs]) e.signal(SIGKILL);
    c.log.flush();
    c.status = "stopped";
    delete c.pid;
    c.exit = { exitCode, oomKilled: c.oomKilled, finishedAt: this.isoNow() };
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w.resolve({ ...c.exit });
    this.emit({ type: "exit", id: c.spec.id, time: c.exit.finishedAt, exit: { ...c.exit } });
    c.log.notify();
  }

  private usersOf(uses: (c: MemoryContainer) => boolean): string[] {
    return [...this.containers.values()].filter(uses).map((c) => c.spec.id);
  }
}

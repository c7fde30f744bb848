import { ExecTimeoutError, ExecutorClosedError, InvalidSpecError, InvalidStateError } from "../errors.js";
import type { Executor } from "../executor.js";
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
} from "../types.js";
import { createContainer } from "./memory-container-spec.js";
import { mergeEnv } from "../bundle/merge-image.js";
import { HealthMonitor } from "../health/health-monitor.js";
import type { MemoryContainer, MemoryHost } from "./memory-host.js";
import type { MemoryImageService } from "./memory-images.js";
import { readMemoryLog } from "./memory-logs.js";
import { parseProgram } from "./memory-shell.js";
import { SIGKILL, parseSignal } from "./memory-signals.js";
import type { MemoryVolumeService } from "./memory-volumes.js";

const DEFAULT_GRACE_MS = 10_000;

/**
 * The in-memory twin of the runc executor, for the agent's tests. Containers, images and volumes live in a
 * {@link MemoryHost}; processes are simulated by a small interpreter (see `parseProgram`), on the host's clock.
 * Same state machine and errors as the real runtime: created -> running -> stopped (a stopped container is not
 * started again; create a new one).
 *
 * A new executor on a host whose previous executor was closed re-adopts its containers: running ones keep
 * running, and inspect/wait report exits that happened in between (no events are replayed). Open one executor
 * per host at a time. Test hooks: {@link simulateOom}, {@link ignoreSignals}, {@link setStats}.
 */
export class MemoryExecutor implements Executor {
  private readonly listeners = new Set<(event: ContainerEvent) => void>();
  private readonly monitors = new Map<string, HealthMonitor>();
  private readonly unlisten: () => void;
  private closed = false;

  constructor(readonly host: MemoryHost) {
    this.unlisten = host.on((event) => this.onEvent(event));
    for (const c of host.containers.values()) if (c.status === "running") this.watchHealth(c);
  }

  get images(): MemoryImageService {
    return this.host.images;
  }

  get volumes(): MemoryVolumeService {
    return this.host.volumes;
  }

  async create(spec: ContainerSpec): Promise<ContainerInfo> {
    this.open("create a container");
    await Promise.resolve();
    return this.host.info(createContainer(this.host, spec));
  }

  async start(id: string): Promise<ContainerInfo> {
    const c = await this.lookup(id, "start a container");
    if (c.status !== "created") {
      const why = c.status === "running" ? "is already running" : "has exited; create a new container to run it again";
      throw new InvalidStateError(id, c.status, `runtime: cannot start container ${id}: it ${why}`);
    }
    this.host.start(c);
    return this.host.info(c);
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const n = parseSignal(signal);
    const c = await this.lookup(id, "signal a container");
    this.mustRun(c, `send ${String(signal)} to`);
    this.host.signal(c, n);
  }

  /** Stop signal, then SIGKILL after the grace period. A stopped container returns its exit; a created one throws InvalidStateError. */
  async stop(id: string, options: { graceMs?: number } = {}): Promise<ExitInfo> {
    const c = await this.lookup(id, "stop a container");
    const graceMs = options.graceMs ?? c.spec.stopGracePeriodMs ?? DEFAULT_GRACE_MS;
    if (!(graceMs >= 0)) throw new InvalidSpecError("graceMs", `must be a number of milliseconds >= 0, got ${graceMs}`);
    if (c.status === "created")
      throw new InvalidStateError(
        id,
        c.status,
        `runtime: cannot stop container ${id}: it was never started; remove it instead`,
      );
    const exited = this.host.waitExit(c);
    if (c.status === "running") {
      this.host.signal(c, c.stopSignal);
      const clock = this.host.clock;
      const timer = c.status === "running" ? clock.setTimeout(() => this.host.signal(c, SIGKILL), graceMs) : undefined;
      void exited.finally(() => clock.clearTimeout(timer)).catch(() => undefined);
    }
    return exited;
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<void> {
    const c = await this.lookup(id, "remove a container");
    if (c.status === "running") {
      if (!options.force)
        throw new InvalidStateError(
          id,
          c.status,
          `runtime: cannot remove container ${id}: it is running; stop it first or remove with force`,
        );
      this.host.signal(c, SIGKILL);
    }
    this.host.delete(c);
  }

  async inspect(id: string): Promise<ContainerInfo> {
    return this.host.info(await this.lookup(id, "inspect a container"));
  }

  async list(): Promise<ContainerInfo[]> {
    this.open("list containers");
    await Promise.resolve();
    return [...this.host.containers.values()].map((c) => this.host.info(c));
  }

  async wait(id: string, options: { signal?: AbortSignal } = {}): Promise<ExitInfo> {
    const c = await this.lookup(id, "wait for a container");
    const signal = options.signal;
    if (!signal) return this.host.waitExit(c);
    signal.throwIfAborted();
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      return await Promise.race([this.host.waitExit(c), aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  async *logs(id: string, options: LogReadOptions = {}): AsyncIterable<LogEntry> {
    const c = await this.lookup(id, "read logs");
    yield* readMemoryLog(c.log, options, () => c.status !== "running" || !this.host.containers.has(id));
  }

  async stats(id: string): Promise<ContainerStats> {
    const c = await this.lookup(id, "read stats");
    this.mustRun(c, "read stats of");
    return this.host.stats(c);
  }

  /** Runs a command beside the init; ExecTimeoutError when it runs past `timeoutMs` (it is killed). */
  async exec(id: string, spec: ExecSpec): Promise<ExecResult> {
    const c = await this.lookup(id, "exec in a container");
    const program = parseProgram(spec.cmd, "cmd");
    if (spec.timeoutMs !== undefined && !(spec.timeoutMs > 0))
      throw new InvalidSpecError("timeoutMs", `must be > 0, got ${spec.timeoutMs}`);
    this.mustRun(c, "exec in");
    const stdin = typeof spec.stdin === "string" ? spec.stdin : spec.stdin ? new TextDecoder().decode(spec.stdin) : "";
    const options = {
      env: mergeEnv([...c.env, ...(spec.env ?? [])]),
      stdin,
      ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    };
    const { timedOut, ...result } = await this.host.run(c, program, options);
    if (timedOut) throw new ExecTimeoutError(id, spec.timeoutMs ?? 0);
    return result;
  }

  subscribe(listener: (event: ContainerEvent) => void): () => void {
    this.open("subscribe");
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops health probes and event delivery; containers keep running on the host. Idempotent. */
  close(): Promise<void> {
    this.closed = true;
    this.unlisten();
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
    this.listeners.clear();
    return Promise.resolve();
  }

  /** Test hook: the kernel's OOM killer kills the container's init (`oom` event, exit 137, `oomKilled`). */
  simulateOom(id: string): void {
    const c = this.host.get(id);
    this.mustRun(c, "OOM-kill");
    this.host.oomKill(c);
  }

  /** Test hook: the container's init ignores these signals (e.g. SIGTERM, so a stop needs SIGKILL); also for a later start. */
  ignoreSignals(id: string, signals: (string | number)[]): void {
    const c = this.host.get(id);
    const numbers = signals.map((s) => parseSignal(s)).filter((n) => n !== SIGKILL);
    for (const n of numbers) c.ignoredSignals.add(n);
    c.init?.ignore(numbers);
  }

  /** Test hook: what `stats` reports for cpu time and memory use. */
  setStats(id: string, stats: Partial<{ cpuUsageNs: number; memoryUsageBytes: number }>): void {
    const c = this.host.get(id);
    c.stats = { ...c.stats, ...stats };
  }

  private onEvent(event: ContainerEvent): void {
    const c = this.host.containers.get(event.id);
    if (event.type === "start" && c) this.watchHealth(c);
    if (event.type === "exit") {
      this.monitors.get(event.id)?.stop();
      this.monitors.delete(event.id);
    }
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Starts probing a running container that has a health check. */
  private watchHealth(c: MemoryContainer): void {
    const settings = c.health;
    const probe = c.probe;
    if (!settings || !probe || this.monitors.has(c.spec.id)) return;
    const monitor = new HealthMonitor({
      check: settings,
      clock: this.host.clock,
      containerStartedAtMs: Date.parse(c.startedAt ?? this.host.isoNow()),
      ...(c.healthState ? { initialState: c.healthState } : {}),
      probe: async (_argv, timeoutMs) => {
        const r = await this.host.run(c, probe, { env: c.env, timeoutMs });
        return r.timedOut
          ? { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs}ms)` }
          : { exitCode: r.exitCode, output: r.stdout + r.stderr };
      },
      onProbe: (state) => (c.healthState = state),
      onTransition: (status) => this.host.emit({ type: "health", id: c.spec.id, time: this.host.isoNow(), status }),
    });
    if (c.status === "running") c.healthState ??= monitor.state;
    this.monitors.set(c.spec.id, monitor);
    monitor.start();
  }

  private async lookup(id: string, operation: string): Promise<MemoryContainer> {
    this.open(operation);
    await Promise.resolve();
    return this.host.get(id);
  }

  private mustRun(c: MemoryContainer, what: string): void {
    if (c.status !== "running") {
      throw new InvalidStateError(
        c.spec.id,
        c.status,
        `runtime: cannot ${what} container ${c.spec.id}: it is ${c.status === "created" ? "not started" : "stopped"}`,
      );
    }
  }

  private open(operation: string): void {
    if (this.closed) throw new ExecutorClosedError(operation);
  }
}

import { isShimAlive, readExitFile } from "../container/shim.js";
import { writeJsonAtomic, type ContainerRecord } from "../container/record.js";
import { readOomKillCount } from "../stats/index.js";
import type { ExitInfo } from "../types.js";
import { KeyedLock } from "../util/keyed-lock.js";
import type { LifecycleContext } from "./lifecycle-context.js";

/**
 * Collects containers' exits: reads the exit file a shim wrote and the cgroup's OOM count, marks the record
 * stopped, stops its health monitor, resolves its exit promise and emits `oom` and `exit`. A container whose
 * shim is gone without an exit file is ended and reported with an unknown exit.
 */
export class ExitReaper {
  /** Serializes reaps per container, so an exit is collected once. */
  private readonly lock = new KeyedLock();

  constructor(private readonly ctx: LifecycleContext) {}

  /** reap() in the background; a failure leaves the container running until the next poll retries. */
  reapSoon(id: string): void {
    void this.reap(id).catch(() => {});
  }

  /** Settles every container (the exit watcher's periodic safety net). */
  async reapAll(): Promise<void> {
    for (const id of this.ctx.records.ids()) await this.settle(id);
  }

  /**
   * Reaps a running container's exit, or ends it as lost when its shim is gone without an exit file. The shim
   * is checked before the exit file is read: a shim writes its exit file before it dies, so a shim found dead
   * with no exit file afterwards really lost it.
   */
  async settle(id: string): Promise<void> {
    const rec = this.ctx.records.find(id);
    if (!rec || rec.status !== "running") return;
    const alive = rec.shimPid !== undefined && (await isShimAlive(rec.shimPid, id));
    await this.reap(id);
    const now = this.ctx.records.find(id);
    if (now?.status === "running" && !alive) await this.lostShim(now);
  }

  /** Collects a container's exit if its shim wrote one: cgroup OOM count, record, waiters, events. */
  private reap(id: string): Promise<void> {
    return this.lock.run(id, async () => {
      const rec = this.ctx.records.find(id);
      if (!rec || rec.status !== "running") return;
      const exit = await readExitFile(this.ctx.layout.exitFile(id));
      if (!exit) return;
      const oomKilled = (await readOomKillCount(this.ctx.cgroups, rec.cgroupsPath).catch(() => 0)) > 0;
      if (this.ctx.records.find(id) !== rec) return;
      await this.finish(rec, { exitCode: exit.status, oomKilled, finishedAt: exit.time });
    });
  }

  /** The shim died without writing an exit (killed, or the host rebooted): the status is unknowable. */
  private async lostShim(rec: ContainerRecord): Promise<void> {
    // A container whose shim is gone is unmanaged: nobody would collect its output or exit. End it.
    await this.ctx.runc.kill(rec.spec.id, 9, true).catch(() => {});
    await this.finish(rec, {
      exitCode: 255,
      oomKilled: false,
      finishedAt: new Date().toISOString(),
      error: "runtime: the container's shim is gone (killed, or the host restarted), so its exit status is unknown",
    });
  }

  /** Records `exit` as how the container ended, then tells its health monitor, waiters and listeners. */
  private async finish(rec: ContainerRecord, exit: ExitInfo): Promise<void> {
    const id = rec.spec.id;
    const next: ContainerRecord = { ...rec, status: "stopped", exit };
    delete next.initPid;
    this.ctx.records.set(next);
    // The exit file stays until the container is removed or restarted, so a failed write here is redone
    // by the next runtime's adoption.
    await writeJsonAtomic(this.ctx.layout.record(id), next).catch(() => {});
    this.ctx.health.stop(id);
    this.ctx.exits.resolve(id, exit);
    if (exit.oomKilled) this.ctx.events.emit({ type: "oom", id, time: exit.finishedAt });
    this.ctx.events.emit({ type: "exit", id, time: exit.finishedAt, exit });
  }
}

import { readdir, rm } from "node:fs/promises";
import { mountPoints, unmount } from "../container/overlay.js";
import { readRecord } from "../container/record.js";
import type { ExitReaper } from "./exit-reaper.js";
import type { LifecycleContext } from "./lifecycle-context.js";

/**
 * Loads what a previous runtime on the same dirs left: every container record, with running containers
 * re-adopted (their exits settled, their health monitors restarted) and the containers whose rootfs is still
 * mounted added to `mounted`. Leftovers of interrupted creates (a bundle dir without a record) and run state
 * of containers without a record are removed.
 */
export async function adoptContainers(ctx: LifecycleContext, reaper: ExitReaper, mounted: Set<string>): Promise<void> {
  const { layout, records } = ctx;
  const mounts = await mountPoints();
  for (const id of await readdir(layout.containers)) {
    if (mounts.has(layout.rootfs(id))) mounted.add(id);
    const rec = await readRecord(layout.record(id));
    if (!rec) {
      await unmount(layout.rootfs(id)).catch(() => {});
      await rm(layout.container(id), { recursive: true, force: true });
      continue;
    }
    records.set(rec);
    if (rec.status !== "running") continue;
    void ctx.exits.exitOf(id);
    await reaper.settle(id);
    const now = records.find(id);
    if (now?.status === "running") ctx.health.start(now);
  }
  // runc state and run dirs of containers we have no record of.
  for (const id of await readdir(layout.runContainers)) {
    if (records.has(id)) continue;
    await ctx.runc.delete(id, true).catch(() => {});
    await rm(layout.runState(id), { recursive: true, force: true });
    await rm(layout.exitFile(id), { force: true });
  }
}

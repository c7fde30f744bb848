import assert from "node:assert/strict";
import { test } from "node:test";
import type { OverlayDesiredState, OverlayPlan, VxlanOverlay } from "@shoal/overlay";
import { quietLog } from "./log.js";
import { OverlaySync } from "./overlay-sync.js";

const empty: OverlayDesiredState = { networks: [], attachments: [], remotes: [], vips: [] };

test("overlay sync: requests during a reconcile share the next one; an unchanged state is not applied again until the refresh", async () => {
  const applied: OverlayDesiredState[] = [];
  let release: (() => void) | undefined;
  const overlay: VxlanOverlay = {
    reconcile: async (d) => {
      applied.push(d);
      await new Promise<void>((r) => (release = r));
      return { steps: [], missingTasks: [] } satisfies OverlayPlan;
    },
    removeNetwork: () => Promise.resolve(),
    teardown: () => Promise.resolve(),
  };
  let desired = empty;
  let now = 0;
  const sync = new OverlaySync({ overlay, desired: () => desired, log: quietLog, refreshMs: 1_000, clock: () => now });
  const first = sync.sync();
  desired = { ...empty, vips: [{ networkId: "n", vip: "10.0.0.2", backends: [] }] };
  const second = sync.sync();
  const third = sync.sync();
  release?.();
  await first;
  await new Promise((r) => setImmediate(r));
  release?.();
  await Promise.all([second, third]);
  assert.equal(applied.length, 2, "the two requests made during the first reconcile share the second");
  await sync.sync();
  assert.equal(applied.length, 2, "the same state is not applied again");
  now = 2_000;
  const refresh = sync.sync();
  await new Promise((r) => setImmediate(r));
  release?.();
  await refresh;
  assert.equal(applied.length, 3, "but it is after the refresh interval");
});

#!/usr/bin/env node
// The container runtime on its own: loads the busybox image built from Debian's busybox-static, runs three
// containers with limits and a health check, shows their output, stats and health, restarts the runtime
// while they run (they keep running and are re-adopted), then stops and removes them. Run as root.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRuntime } from "../libs/runtime/dist/index.js";
import { ensureBusyboxTarball, removeCgroupTree } from "../libs/runtime/dist/testing/index.js";

const work = mkdtempSync(join(tmpdir(), "shoal-demo-runtime-"));
const options = { dataDir: join(work, "data"), runDir: join(work, "run"), cgroupParent: `shoal-demo-${process.pid}` };
const say = (s) => console.log(`runtime demo: ${s}`);
let rt;
try {
  rt = await openRuntime(options);
  const [image] = (await rt.images.load(await ensureBusyboxTarball())).images;
  say(`loaded ${image.repoTags.join(", ")} (${image.id.slice(0, 19)}..., ${image.layers.length} layer)`);
  const ids = ["web-1", "web-2", "web-3"];
  const t0 = performance.now();
  for (const id of ids) {
    await rt.create({
      id,
      image: "busybox",
      hostname: id,
      cmd: ["sh", "-c", "echo hello from $(hostname), pid $$; touch /tmp/ready; sleep 3600"],
      resources: { memoryBytes: 32 << 20, cpus: 0.5, pidsLimit: 64 },
      healthcheck: { test: ["CMD", "test", "-f", "/tmp/ready"], intervalMs: 200, retries: 2 },
    });
    await rt.start(id);
  }
  say(`3 containers created and started in ${Math.round(performance.now() - t0)} ms`);
  await Promise.all(
    ids.map(
      (id) =>
        new Promise((resolve) => {
          const off = rt.subscribe((e) => {
            if (e.type === "health" && e.id === id && e.status === "healthy") {
              off();
              resolve();
            }
          });
        }),
    ),
  );
  for (const id of ids) {
    const info = await rt.inspect(id);
    const stats = await rt.stats(id);
    const out = [];
    for await (const e of rt.logs(id)) out.push(e.line.trim());
    say(
      `${id}: ${info.status}, ${info.health?.status}, pid ${info.pid}, memory ${(stats.memoryUsageBytes / 1024).toFixed(0)} KiB of ${stats.memoryLimitBytes >> 20} MiB, log: "${out.join(" | ")}"`,
    );
  }
  await rt.close();
  say("runtime closed (as when the agent restarts); the containers keep running under their shims");
  rt = await openRuntime(options);
  say(`reopened: ${(await rt.list()).map((c) => `${c.id} ${c.status} pid ${c.pid}`).join(", ")}`);
  for (const id of ids) {
    const exit = await rt.stop(id, { graceMs: 5000 });
    say(`${id} stopped: exit code ${exit.exitCode}`);
    await rt.remove(id);
  }
  say("removed: no mounts, cgroups or runc state left");
} finally {
  if (rt) {
    for (const c of await rt.list().catch(() => [])) await rt.remove(c.id, { force: true }).catch(() => {});
    await rt.close();
  }
  removeCgroupTree(options.cgroupParent);
  rmSync(work, { recursive: true, force: true });
}

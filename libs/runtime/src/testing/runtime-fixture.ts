import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeCgroupParent } from "../cgroup-parent.js";
import { openRuntime, type Runtime, type RuntimeOptions } from "../runtime.js";
import { ensureBusyboxTarball } from "./busybox.js";

/** Whether root-only tests must be skipped: only when not root and not under CI (CI must run them). */
export const rootSkip: string | false = process.getuid?.() !== 0 && process.env.CI !== "true" ? "needs root" : false;

/** A runtime in temp dirs with its own cgroup parent, the busybox image loaded, and a thorough cleanup. */
export interface TestRuntime {
  runtime: Runtime;
  options: RuntimeOptions;
  /** Opens a second runtime on the same dirs (what a restarted agent does). */
  reopen: () => Promise<Runtime>;
  /** Removes every container, then checks and removes what could leak: mounts, cgroups, runc state, dirs. */
  cleanup: () => Promise<void>;
}

/** Opens a test runtime; `extra` options override the defaults. `loadBusybox: false` starts with no image. */
export async function openTestRuntime(
  extra: Partial<RuntimeOptions> = {},
  fixture: { loadBusybox?: boolean } = {},
): Promise<TestRuntime> {
  const work = mkdtempSync(join(tmpdir(), "shoal-rt-"));
  const options: RuntimeOptions = {
    dataDir: join(work, "data"),
    runDir: join(work, "run"),
    cgroupParent: `shoal-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    ...extra,
  };
  const opened: Runtime[] = [];
  const cleanup = async () => {
    const rt = opened[opened.length - 1];
    if (rt) {
      for (const c of await rt.list().catch(() => [])) await rt.remove(c.id, { force: true }).catch(() => {});
    }
    for (const r of opened) await r.close();
    // Whatever a failed test left: runc containers, mounts, cgroups.
    const runcRoot = join(options.runDir, "runc");
    if (existsSync(runcRoot)) {
      for (const id of readdirSync(runcRoot)) {
        try {
          execFileSync("runc", ["--root", runcRoot, "delete", "-f", id], { stdio: "ignore" });
        } catch {
          // gone already
        }
      }
    }
    const mounts = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      .filter((m) => m.startsWith(work))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) {
      try {
        execFileSync("umount", ["-l", m], { stdio: "ignore" });
      } catch {
        // already unmounted
      }
    }
    removeCgroupParent(options.cgroupParent ?? "shoal");
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const runtime = await openRuntime(options);
    opened.push(runtime);
    if (fixture.loadBusybox !== false) await runtime.images.load(await ensureBusyboxTarball());
    return {
      runtime,
      options,
      reopen: async () => {
        const r = await openRuntime(options);
        opened.push(r);
        return r;
      },
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Removes a cgroup directory (and its children) from every v1 controller and the v2 hierarchy. */
export { removeCgroupParent as removeCgroupTree };

/** The cgroup dirs of `cgroupsPath` that exist in any controller (for "nothing left behind" checks). */
export function existingCgroupDirs(cgroupsPath: string): string[] {
  const roots = ["/sys/fs/cgroup", ...readdirSync("/sys/fs/cgroup").map((c) => join("/sys/fs/cgroup", c))];
  return roots.map((r) => join(r, cgroupsPath)).filter((d) => existsSync(join(d, "cgroup.procs")));
}

import { watch, type FSWatcher } from "node:fs";
import { access, readFile, constants as fsConstants } from "node:fs/promises";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { spawn } from "node:child_process";
import { MissingDependencyError, OciRuntimeError } from "../errors.js";
import { lastRuncMessage } from "./runc.js";

/** The shim binary built from `shim/shoal-shim.c` by `shim/build.sh`. */
export const DEFAULT_SHIM_PATH = fileURLToPath(new URL("../../bin/shoal-shim", import.meta.url));

/** The containers' init built from `shim/shoal-init.c`. */
export const DEFAULT_INIT_PATH = fileURLToPath(new URL("../../bin/shoal-init", import.meta.url));

/** Everything the shim needs to run one container. */
export interface ShimLaunch {
  shim: string;
  id: string;
  bundle: string;
  runc: string;
  runcRoot: string;
  logDir: string;
  exitFile: string;
  pidFile: string;
  logMaxSize: number;
  logMaxFiles: number;
  /** Mount the rootfs overlay (options from overlayOptions) at `target` before starting. */
  overlay?: { target: string; options: string };
}

/** What the shim reports once runc has started the container. */
export interface ShimStarted {
  initPid: number;
  shimPid: number;
}

/** What the shim wrote when the container's init exited. */
export interface ShimExit {
  /** Exit code, or 128 + signal. */
  status: number;
  signal: number;
  time: string;
}

/** Checks that a helper binary (the shim, the init) exists and is executable. */
export async function checkExecutable(path: string): Promise<void> {
  try {
    await access(path, fsConstants.X_OK);
  } catch (err) {
    throw new MissingDependencyError(
      basename(path),
      `runtime: ${path} is missing; build it with \`bash libs/runtime/shim/build.sh\` (needs gcc)`,
      { cause: err },
    );
  }
}

/**
 * Starts a container through a new shim: returns when runc has started it (the shim keeps running, detached,
 * until the container exits), or throws OciRuntimeError with runc's reason.
 */
export async function launchShim(l: ShimLaunch): Promise<ShimStarted> {
  const args = [
    "--id",
    l.id,
    "--bundle",
    l.bundle,
    "--runc",
    l.runc,
    "--runc-root",
    l.runcRoot,
    "--log-dir",
    l.logDir,
    "--exit-file",
    l.exitFile,
    "--pid-file",
    l.pidFile,
    "--log-max-size",
    String(l.logMaxSize),
    "--log-max-files",
    String(l.logMaxFiles),
    ...(l.overlay ? ["--rootfs", l.overlay.target, "--overlay", l.overlay.options] : []),
  ];
  // Plain spawn, not execa: this is on every container start's critical path.
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(l.shim, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", (err) =>
      reject(
        new MissingDependencyError("shoal-shim", `runtime: cannot run the shim ${l.shim}: ${err.message}`, {
          cause: err,
        }),
      ),
    );
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  if (r.code !== 0) {
    const reason = lastRuncMessage(r.stderr);
    throw new OciRuntimeError(`runtime: starting container ${l.id} failed: ${reason}`, r.stderr);
  }
  const [init, shim] = r.stdout.trim().split(/\s+/).map(Number);
  if (!init || !shim)
    throw new OciRuntimeError(`runtime: the shim of ${l.id} gave no pids: ${JSON.stringify(r.stdout)}`, r.stderr);
  return { initPid: init, shimPid: shim };
}

/** The exit record the shim wrote, or undefined while there is none. */
export async function readExitFile(path: string): Promise<ShimExit | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const v = JSON.parse(text) as Partial<ShimExit>;
  if (typeof v.status !== "number" || typeof v.time !== "string") return undefined;
  return { status: v.status, signal: v.signal ?? 0, time: v.time };
}

/** Whether `pid` is a live (not zombie) shim of container `id`. */
export async function isShimAlive(pid: number, id: string): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const argv = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
    const at = argv.indexOf("--id");
    return (argv[0] ?? "").endsWith("shoal-shim") && at >= 0 && argv[at + 1] === id;
  } catch {
    return false;
  }
}

/**
 * Watches the directory the shims write exit files into and calls `onExit(id)` for `<id>.json` as it appears.
 * Also polls every `pollMs` as a safety net (inotify events can be coalesced or lost on overflow).
 */
export class ExitWatcher {
  private readonly watcher: FSWatcher;
  private readonly timer: NodeJS.Timeout;

  constructor(dir: string, onExit: (id: string) => void, poll: () => void, pollMs = 2000) {
    this.watcher = watch(dir, (_event, name) => {
      if (name && name.endsWith(".json")) onExit(name.slice(0, -".json".length));
    });
    this.watcher.on("error", () => {});
    this.timer = setInterval(poll, pollMs);
    this.timer.unref();
  }

  close(): void {
    this.watcher.close();
    clearInterval(this.timer);
  }
}

// The floor: the same busybox containers started with bare `runc run -d`, no control plane at all, as fast as
// this machine starts them. Each gets what a Shoal task gets from the kernel: its own overlay over the image's
// layer, its own network namespace (runc makes a fresh one; no veth or address, which Shoal adds), its own
// cgroup. Started 16 at a time, the concurrency Shoal's agent uses on two cores.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeCgroupTree, unpackBusybox } from "../../libs/runtime/dist/testing/index.js";
import { removeTree } from "./procs.mjs";

const CONCURRENCY = 16;

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimit(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

function exec(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    // "exit", not "close": a container started by `runc run -d` inherits the pipe and holds it open.
    child.on("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`bench: \`${cmd} ${args.join(" ")}\` exited ${code}: ${err.trim()}`)),
    );
  });
}

/** A side of the benchmark that starts containers with bare runc. */
export async function startBare({ dir }) {
  const root = join(dir, "runc");
  const cgroupParent = `shoal-bench-bare-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const layer = (await unpackBusybox(join(dir, "image"))).rootfs;
  execFileSync("runc", ["spec"], { cwd: dir });
  const base = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
  base.process.terminal = false;
  base.process.args = ["sleep", "3600"];
  const services = new Map(); // name -> ids started
  const mounted = new Set();
  const bundle = (id) => join(dir, "c", id);

  const startOne = async (id) => {
    const b = bundle(id);
    for (const sub of ["rootfs", "upper", "work"]) mkdirSync(join(b, sub), { recursive: true });
    writeFileSync(
      join(b, "config.json"),
      JSON.stringify({
        ...base,
        root: { path: join(b, "rootfs"), readonly: false },
        linux: { ...base.linux, cgroupsPath: `/${cgroupParent}/${id}` },
      }),
    );
    await exec("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${layer},upperdir=${b}/upper,workdir=${b}/work`,
      join(b, "rootfs"),
    ]);
    mounted.add(id);
    await exec("runc", ["--root", root, "run", "-d", "--bundle", b, id]);
  };
  const removeOne = async (id) => {
    await exec("runc", ["--root", root, "delete", "-f", id]).catch(() => {});
    if (mounted.delete(id)) await exec("umount", [join(bundle(id), "rootfs")]).catch(() => {});
  };
  const side = {
    name: "runc",
    dir,
    create: async (name, n) => {
      const ids = Array.from({ length: n }, (_, i) => `${name}-${i}`);
      services.set(name, ids);
      await eachLimit(ids, CONCURRENCY, startOne);
    },
    remove: async (name) => {
      const ids = services.get(name) ?? [];
      await eachLimit(ids, CONCURRENCY, removeOne);
      services.delete(name);
    },
    /** Every container started by create is running once it returned (`runc run -d` returns after start). */
    running: async (name) => (services.get(name) ?? []).length,
    containers: async (name) => (services.get(name) ?? []).length,
    memory: () => ({ mainKiB: 0, parts: {}, totalKiB: 0 }),
    version: async () =>
      execFileSync("runc", ["--version"])
        .toString()
        .split("\n")[0]
        .replace(/^runc version /, ""),
    stop: async () => {
      for (const name of [...services.keys()]) await side.remove(name);
      await removeTree(dir);
      removeCgroupTree(cgroupParent);
    },
  };
  return side;
}

#!/usr/bin/env node
// What the container sandbox costs a syscall-heavy process: `dd bs=1` copying N bytes from /dev/zero to
// /dev/null (two syscalls per byte) in a busybox container, timed by busybox `time` inside the container, with Shoal's default sandbox
// (its own seccomp profile and no_new_privs) and with `seccomp: unconfined`, beside Docker's default profile
// and Docker's `--security-opt seccomp=unconfined` on the same machine, in one run. Run as root.
// See bench/runtime/README.md.
//
//   npm run bench:seccomp -- [--bytes 2000000] [--trials 5]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openRuntime } from "../../libs/runtime/dist/index.js";
import { ensureBusyboxTarball, removeCgroupTree, unpackBusybox } from "../../libs/runtime/dist/testing/index.js";

const { values: args } = parseArgs({
  options: { bytes: { type: "string", default: "2000000" }, trials: { type: "string", default: "5" } },
});
const BYTES = Number(args.bytes);
const TRIALS = Number(args.trials);
if (!Number.isInteger(BYTES) || BYTES <= 0 || !Number.isInteger(TRIALS) || TRIALS <= 0) {
  console.error("bench: --bytes and --trials take positive integers");
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error("bench: run as root (containers need namespaces, cgroups and mounts)");
  process.exit(2);
}

const DOCKER_IMAGE = "shoal-bench-seccomp-busybox:1";
const CMD = ["time", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", `count=${BYTES}`];
const work = mkdtempSync(join(tmpdir(), "shoal-bench-seccomp-"));
const cgroupParent = `shoal-bench-${process.pid}`;
let runtime;

/** The copy's wall-clock time in seconds, as busybox `time` reports it inside the container (`real 0m 1.23s`). */
function ddSeconds(output) {
  const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(output);
  if (!m) throw new Error(`bench: time printed no timing: ${output}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

async function shoalRun(seccomp, trial) {
  const id = `seccomp-${seccomp}-${trial}`;
  await runtime.create({
    id,
    image: "busybox",
    cmd: CMD,
    network: { mode: "none" },
    seccomp,
    noNewPrivileges: seccomp === "default",
  });
  await runtime.start(id);
  await runtime.wait(id);
  let out = "";
  for await (const e of runtime.logs(id)) out += `${e.line}\n`;
  await runtime.remove(id, { force: true });
  return ddSeconds(out);
}

function dockerSeconds(unconfined) {
  const flags = unconfined ? "--security-opt seccomp=unconfined" : "";
  const out = execFileSync(
    "sh",
    ["-c", `docker run --rm --network none ${flags} ${DOCKER_IMAGE} ${CMD.join(" ")} 2>&1`],
    { encoding: "utf8" },
  );
  return ddSeconds(out);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const tarball = await ensureBusyboxTarball();
  runtime = await openRuntime({ dataDir: join(work, "data"), runDir: join(work, "run"), cgroupParent });
  await runtime.images.load(tarball);
  const { rootfs } = await unpackBusybox(join(work, "busybox"));
  execFileSync("sh", ["-c", `tar -C '${rootfs}' -c . | docker import - ${DOCKER_IMAGE}`], { stdio: "ignore" });
  // Warm every path once.
  await shoalRun("default", "warm");
  dockerSeconds(false);
  const t = { shoal: [], shoalOff: [], docker: [], dockerOff: [] };
  for (let i = 0; i < TRIALS; i++) {
    // Alternate the order so no configuration always meets a warmer machine.
    const steps = [
      async () => t.shoal.push(await shoalRun("default", i)),
      async () => t.shoalOff.push(await shoalRun("unconfined", i)),
      async () => t.docker.push(dockerSeconds(false)),
      async () => t.dockerOff.push(dockerSeconds(true)),
    ];
    for (const s of i % 2 === 0 ? steps : steps.reverse()) await s();
  }
  const syscalls = 2 * BYTES;
  const row = (name, on, off) => {
    const a = median(on);
    const b = median(off);
    return {
      name,
      filtered: a,
      unconfined: b,
      ratio: a / b,
      nsPerSyscall: ((a - b) * 1e9) / syscalls,
    };
  };
  const rows = [row("Shoal", t.shoal, t.shoalOff), row("Docker", t.docker, t.dockerOff)];
  console.log(
    `dd bs=1 count=${BYTES} (${syscalls} syscalls), median of ${TRIALS} trials, wall-clock seconds of the copy as busybox time reports them in the container`,
  );
  console.log(
    "| runtime | default sandbox (s) | seccomp unconfined (s) | default / unconfined | added ns per syscall |",
  );
  console.log("|---|---|---|---|---|");
  for (const r of rows)
    console.log(
      `| ${r.name} | ${r.filtered.toFixed(3)} | ${r.unconfined.toFixed(3)} | ${r.ratio.toFixed(3)} | ${r.nsPerSyscall.toFixed(1)} |`,
    );
  const shoal = rows[0];
  const docker = rows[1];
  if (shoal && docker)
    console.log(`Shoal's default sandbox / Docker's default profile: ${(shoal.filtered / docker.filtered).toFixed(3)}`);
  console.log(JSON.stringify({ bytes: BYTES, trials: TRIALS, raw: t }));
} finally {
  if (runtime) {
    for (const c of await runtime.list()) await runtime.remove(c.id, { force: true }).catch(() => {});
    await runtime.close();
  }
  try {
    execFileSync("docker", ["rmi", "-f", DOCKER_IMAGE], { stdio: "ignore" });
  } catch {
    // never imported
  }
  removeCgroupTree(cgroupParent);
  rmSync(work, { recursive: true, force: true });
}

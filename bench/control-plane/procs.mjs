// Process, HTTP and clean-up helpers shared by both sides of the control-plane benchmark.
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { request } from "node:http";

/** Resolves after `ms` milliseconds. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a command to its end and resolves with its stdout; rejects with its stderr (and the command line) on a
 * non-zero exit or after `timeoutMs`.
 */
export function run(cmd, args, { env, timeoutMs = 120_000, input } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env: env ? { ...process.env, ...env } : process.env, timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const how = err.killed ? `timed out after ${timeoutMs} ms` : `exited ${err.code}`;
          reject(
            new Error(
              `bench: \`${cmd} ${args.join(" ")}\` ${how}: ${String(stderr).trim().slice(-1500) || String(stdout).trim().slice(-500)}`,
            ),
          );
        } else resolve(String(stdout));
      },
    );
    if (input !== undefined) child.stdin.end(input);
  });
}

/** JSON from an HTTP GET over a unix socket: `{ status, body }` (body parsed when it is JSON). */
export function unixGet(socketPath, path, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path, method: "GET", timeout: timeoutMs, headers: { accept: "application/json" } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`bench: no answer on ${socketPath} for GET ${path} within ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    req.end();
  });
}

/**
 * Polls `probe()` every `periodMs` (measured from the start of each probe) until it returns true; resolves with
 * the milliseconds from `t0` (a performance.now() value) to the end of the probe that saw it. Rejects after
 * `timeoutMs` with `what` and the last value `describe()` gives.
 */
export async function pollUntil(t0, { periodMs, timeoutMs, what, probe, describe }) {
  for (;;) {
    const started = performance.now();
    if (await probe()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`bench: ${what} not reached within ${timeoutMs / 1000} s (${describe()})`);
    await sleep(Math.max(0, periodMs - (performance.now() - started)));
  }
}

/** The resident set size of a process in KiB (VmRSS), 0 when it is gone. */
export function rssKiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Whether a process with this pid exists. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid in a pid file, or undefined. */
export function readPid(file) {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every process that belongs to the benchmark's temporary directory `dir`: those whose command line names it
 * (daemons, containerd, shims) and all their descendants. A descendant in another PID namespace is a container's
 * process (`container: true`); one in ours is the system's own (nats-server, docker-init's parent...). Never
 * this process.
 */
export function processesUnder(dir) {
  const ownPidNs = readlinkSync("/proc/self/ns/pid");
  const all = new Map();
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      // The parent pid is the second field after the command name, which may hold spaces and parentheses.
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1).split(" ")[1]);
      all.set(pid, { pid, ppid, cmdline });
    } catch {
      // exited while listing
    }
  }
  const ours = new Set([...all.values()].filter((p) => p.cmdline.includes(dir)).map((p) => p.pid));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all.values()) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  return [...ours].map((pid) => {
    const p = all.get(pid);
    let container = false;
    try {
      container = !p.cmdline.includes(dir) && readlinkSync(`/proc/${pid}/ns/pid`) !== ownPidNs;
    } catch {
      // exited meanwhile
    }
    return { pid, cmdline: p.cmdline, container };
  });
}

/** Sum of the RSS (KiB) of the processes under `dir` that are not container processes: the system's own. */
export function systemRssKiB(dir) {
  return processesUnder(dir)
    .filter((p) => !p.container)
    .reduce((sum, p) => sum + rssKiB(p.pid), 0);
}

/** Sends SIGTERM, waits up to `graceMs` for the process to end, then SIGKILL. */
export async function stopProcess(pid, graceMs = 15_000) {
  if (pid === undefined || !alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = performance.now() + graceMs;
  while (alive(pid) && performance.now() < deadline) await sleep(100);
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
}

/**
 * Removes what is left of a side under `dir`: kills every process that still belongs to it, unmounts every
 * mount below it (deepest first, lazily), then deletes it.
 */
export async function removeTree(dir) {
  for (const p of processesUnder(dir)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // ended meanwhile
    }
  }
  await sleep(200);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
  for (const m of mounts.sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** The median of a list of numbers (the upper one of the two middles for an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

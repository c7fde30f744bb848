import { until } from "@shoal/common";
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { ShoalClient, Task } from "@shoal/api";
import { trustedClient, type TrustedClient } from "@shoal/api/node";

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL("../../..", import.meta.url));
export const SHOAL = join(REPO, "apps/cli/bin/shoal.mjs");

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/**
 * A one-node cluster of real processes in temp dirs, on its own ports, cgroup parent and bridge. Suites that
 * may run at the same time give different bridge subnets (a node's bridge gateway also serves its DNS).
 */
export class NodeCluster {
  constructor(readonly bridgeSubnet = "10.213.0.0/24") {}

  readonly work = mkdtempSync(join(tmpdir(), "shoal-e2e-"));
  readonly dataDir = join(this.work, "data");
  readonly runDir = join(this.work, "run");
  readonly tag = Math.random().toString(36).slice(2, 8);
  readonly cgroupParent = `shoal-e2e-${this.tag}`;
  readonly bridge = `she2e${this.tag.slice(0, 5)}`;
  /**
   * The CLI's TLS files on this host (`SHOAL_CERT_PATH`): the admin bundle (`ca.pem`, `cert.pem`, `key.pem`)
   * and the dashboard's `access-token`.
   */
  readonly certPath = join(this.work, "cli-tls");
  ports = { api: 0, raft: 0, nats: 0, natsCluster: 0 };
  /** The manager's API over HTTPS with the cluster's trust bundle and root's certificate, once {@link init} ran. */
  private api: TrustedClient | undefined;

  /** A client of the manager's API over HTTPS (after {@link init}). */
  get client(): ShoalClient {
    if (!this.api) throw new Error("e2e: the cluster has no API client before init() ran");
    return this.api.client;
  }

  /** The admin user's dashboard access token (a copy of the one `cluster init` wrote). */
  accessToken(): string {
    return readFileSync(join(this.certPath, "access-token"), "utf8").trim();
  }

  /**
   * Chromium's flag that accepts exactly the manager's key (its certificate comes from the cluster's private CA):
   * `--ignore-certificate-errors-spki-list=<base64 of the SHA-256 of its public key>`.
   */
  chromiumTrustFlag(): string {
    const cert = new X509Certificate(readFileSync(join(this.dataDir, "manager", "certificates", "manager.crt")));
    const spki = cert.publicKey.export({ type: "spki", format: "der" });
    return `--ignore-certificate-errors-spki-list=${createHash("sha256").update(spki).digest("base64")}`;
  }

  /** Flags every daemon of this cluster gets. */
  managerFlags(): string[] {
    return [
      "--data-dir",
      this.dataDir,
      "--listen-addr",
      "127.0.0.1",
      "--advertise-addr",
      "127.0.0.1",
      "--api-port",
      String(this.ports.api),
      "--raft-port",
      String(this.ports.raft),
      "--nats-port",
      String(this.ports.nats),
      "--nats-cluster-port",
      String(this.ports.natsCluster),
    ];
  }
  agentFlags(): string[] {
    return [
      "--data-dir",
      this.dataDir,
      "--run-dir",
      this.runDir,
      "--cgroup-parent",
      this.cgroupParent,
      "--bridge",
      this.bridge,
      "--bridge-subnet",
      this.bridgeSubnet,
    ];
  }

  async init(): Promise<void> {
    this.ports = {
      api: await freePort(),
      raft: await freePort(),
      nats: await freePort(),
      natsCluster: await freePort(),
    };
    await this.shoal([
      "cluster",
      "init",
      ...this.managerFlags(),
      "--run-dir",
      this.runDir,
      "--cgroup-parent",
      this.cgroupParent,
      "--bridge",
      this.bridge,
      "--bridge-subnet",
      this.bridgeSubnet,
    ]);
    // The manager serves HTTPS with the cluster's certificates and wants a credential: this process and the CLI
    // on this host (whose data dir is not this cluster's) use the admin bundle init wrote, as a remote admin
    // would. A copy, as `cluster leave` removes it.
    const admin = join(this.dataDir, "admin");
    mkdirSync(this.certPath, { recursive: true, mode: 0o700 });
    for (const f of ["ca.pem", "cert.pem", "key.pem", "access-token"])
      copyFileSync(join(admin, f), join(this.certPath, f));
    const read = (f: string) => readFileSync(join(this.certPath, f), "utf8");
    this.api = trustedClient({
      managers: [`127.0.0.1:${this.ports.api}`],
      trust: read("ca.pem"),
      cert: read("cert.pem"),
      key: read("key.pem"),
    });
  }

  /** Runs `shoal ARGS` with this cluster's API address; rejects with its output when it fails. */
  async shoal(args: string[], o: { timeoutMs?: number } = {}): Promise<string> {
    try {
      const r = await run(process.execPath, [SHOAL, ...args], {
        env: {
          ...process.env,
          SHOAL_HOST: `127.0.0.1:${this.ports.api}`,
          ...(existsSync(this.certPath) ? { SHOAL_CERT_PATH: this.certPath } : {}),
        },
        timeout: o.timeoutMs ?? 180_000,
        maxBuffer: 16 * 1024 * 1024,
      });
      return r.stdout;
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `shoal ${args.join(" ")} failed: ${x.message}\nstdout: ${x.stdout ?? ""}\nstderr: ${x.stderr ?? ""}\n${this.logTail()}`,
      );
    }
  }

  logTail(): string {
    const out: string[] = [];
    for (const f of ["manager.log", "agent.log"]) {
      const p = join(this.dataDir, "logs", f);
      if (existsSync(p)) out.push(`--- ${f}\n${readFileSync(p, "utf8").split("\n").slice(-30).join("\n")}`);
    }
    return out.join("\n");
  }

  pid(daemon: "manager" | "agent"): number {
    return Number(readFileSync(join(this.dataDir, `${daemon}.pid`), "utf8").trim());
  }

  /** Stops a daemon with SIGTERM and waits for it to exit. */
  async stopDaemon(daemon: "manager" | "agent"): Promise<void> {
    const pid = this.pid(daemon);
    process.kill(pid, "SIGTERM");
    await until(() => !alive(pid), 30_000, `${daemon} ${pid} to exit`);
  }

  /** Starts a daemon again as the CLI's init would, detached, logging to the same file. */
  async startDaemon(daemon: "manager" | "agent"): Promise<void> {
    const { openSync, writeFileSync } = await import("node:fs");
    const fd = openSync(join(this.dataDir, "logs", `${daemon}.log`), "a");
    // The restarted manager stretches the heartbeat period to 2 s (a node is down after 3 missed), so the agent
    // restart that follows fits in the grace on a loaded CI machine.
    const flags = daemon === "manager" ? [...this.managerFlags(), "--heartbeat-period", "2s"] : this.agentFlags();
    const child = spawn(process.execPath, [SHOAL, daemon, ...flags], { detached: true, stdio: ["ignore", fd, fd] });
    child.unref();
    writeFileSync(join(this.dataDir, `${daemon}.pid`), String(child.pid));
  }

  async tasks(service: string): Promise<Task[]> {
    return this.client.call("taskList", { query: { service } });
  }

  /** The pid of a task's container (from runc's state). */
  containerPid(containerId: string): number {
    const out = execFileSync("runc", ["--root", join(this.runDir, "runtime", "runc"), "state", containerId], {
      encoding: "utf8",
    });
    return (JSON.parse(out) as { pid: number }).pid;
  }

  /** Ids of the containers runc knows and their status. */
  runcList(): { id: string; status: string; pid: number }[] {
    const root = join(this.runDir, "runtime", "runc");
    if (!existsSync(root)) return [];
    const out = execFileSync("runc", ["--root", root, "list", "-f", "json"], { encoding: "utf8" });
    return (JSON.parse(out || "[]") as { id: string; status: string; pid: number }[] | null) ?? [];
  }

  /** Removes everything: API connections, daemons, containers, cgroups, network, dirs. Safe after any failure. */
  async destroy(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    await api?.close();
    try {
      await this.shoal(["cluster", "leave", "--force", "--data-dir", this.dataDir, "--run-dir", this.runDir], {
        timeoutMs: 60_000,
      });
    } catch {
      // fall through to the forced cleanup
    }
    for (const d of ["agent", "manager"] as const) {
      try {
        const pid = this.pid(d);
        if (alive(pid)) process.kill(pid, "SIGKILL");
      } catch {
        // no pid file
      }
    }
    const root = join(this.runDir, "runtime", "runc");
    if (existsSync(root)) for (const id of readdirSync(root)) spawnQuiet("runc", ["--root", root, "delete", "-f", id]);
    // nats-server children of a killed manager
    spawnQuiet("pkill", ["-f", join(this.dataDir, "manager", "nats")]);
    spawnQuiet("pkill", ["-f", `shoal-shim.*${this.runDir}`]);
    const mounts = readFileSync("/proc/self/mountinfo", "utf8")
      .split("\n")
      .map((l) => l.split(" ")[4] ?? "")
      .filter((m) => m.startsWith(this.work))
      .sort((a, b) => b.length - a.length);
    for (const m of mounts) spawnQuiet("umount", ["-l", m]);
    for (const ctl of readdirSync("/sys/fs/cgroup")) {
      const dir = join("/sys/fs/cgroup", ctl, this.cgroupParent);
      if (existsSync(dir)) removeCgroup(dir);
    }
    for (const ns of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
      const name = ns.split(" ")[0] ?? "";
      if (name.includes(this.tag)) spawnQuiet("ip", ["netns", "delete", name]);
    }
    spawnQuiet("ip", ["link", "delete", this.bridge]);
    rmSync(this.work, { recursive: true, force: true });
  }
}

function spawnQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
  } catch {
    // best effort
  }
}

function removeCgroup(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroup(join(dir, e.name));
  try {
    rmSync(dir, { recursive: false, force: true });
  } catch {
    spawnQuiet("rmdir", [dir]);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** The shared poller (the state of other processes gives no event to wait on). */
export { until };

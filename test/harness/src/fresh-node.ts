import { execFile } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { CGROUP_PREFIX, removeHarnessResources } from "./cleanup.js";
import { HARNESS_LABEL, ensureDockerd } from "./docker.js";
import { HarnessError } from "./errors.js";
import { ensureImportedImage } from "./node-image.js";
import { REPO, type ExecOutput } from "./node.js";

const run = promisify(execFile);

/**
 * A plain Debian 12 system (debootstrap's minbase from Debian's mirror), with nothing of Shoal's: the node
 * infra/install.sh is tested on. Kept by tag once built, so only the first run pays for it (about 30 s).
 */
export const FRESH_DEBIAN_IMAGE = "shoal-fresh-debian12:1";

/** The Debian mirror apt is configured with here (`SHOAL_DEBIAN_MIRROR` overrides), for debootstrap. */
export function debianMirror(): string {
  const env = process.env["SHOAL_DEBIAN_MIRROR"];
  if (env) return env;
  const files = [
    "/etc/apt/sources.list",
    ...listDir("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f)),
  ];
  for (const f of files) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      continue;
    }
    const m = /^(?:URIs:|deb)\s+(?:\[[^\]]*\]\s+)?(https?:\/\/\S+?\/debian)\/?(?:\s|$)/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return "http://deb.debian.org/debian";
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".list") || f.endsWith(".sources"));
  } catch {
    return [];
  }
}

/** Builds {@link FRESH_DEBIAN_IMAGE} with debootstrap unless it exists. */
export function ensureFreshDebianImage(): Promise<string> {
  return ensureImportedImage(FRESH_DEBIAN_IMAGE, async (root) => {
    try {
      await run("debootstrap", ["--variant=minbase", "bookworm", root, debianMirror()], { maxBuffer: 64 << 20 });
    } catch (e) {
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_IMAGE",
        `harness: debootstrap of Debian 12 from ${debianMirror()} failed (install the debootstrap package; set SHOAL_DEBIAN_MIRROR for another mirror): ${(e as Error).message}`,
        { cause: e },
      );
    }
    // No apt caches in the image; the installer must fetch what it needs like on a new machine.
    rmSync(join(root, "var/cache/apt/archives"), { recursive: true, force: true });
  });
}

/**
 * A container of {@link FRESH_DEBIAN_IMAGE}, a writable Debian 12 system, with the rights Shoal's agent needs
 * (as harness nodes have), this checkout read-only at its own path and the host's Node.js 20 binary (Debian 12
 * has only Node 18) at /usr/bin/node. Its data dir is on a volume (overlayfs cannot stack on the container's).
 */
export class FreshNode {
  private constructor(
    /** Container name; also the value of its harness label, which {@link destroy} removes by. */
    readonly name: string,
    /** Its address on its own docker network. */
    readonly address: string,
    /** Cgroup parent for its agent's containers (nodes share the host's hierarchy). */
    readonly cgroupParent: string,
  ) {}

  /** Starts one; on failure removes what it made. */
  static async start(name: string): Promise<FreshNode> {
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(name))
      throw new RangeError(`harness: node name ${name} must be 1-31 of a-z, 0-9 and -`);
    await ensureDockerd();
    await ensureFreshDebianImage();
    const label = `${HARNESS_LABEL}=${name}`;
    try {
      await run("docker", ["volume", "create", "--label", label, `${name}-data`]);
      // A network of its own (as harness clusters have): docker's default bridge may be gone on a test machine.
      await run("docker", ["network", "create", "--driver", "bridge", "--label", label, name]);
      await run("docker", [
        "run",
        "-d",
        "--name",
        name,
        "--hostname",
        name,
        "--label",
        label,
        "--network",
        name,
        "--cap-add",
        "ALL",
        "--cap-drop",
        "SYS_RESOURCE",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
        "--security-opt",
        "systempaths=unconfined",
        "--device-cgroup-rule",
        "a *:* rwm",
        "-v",
        "/sys/fs/cgroup:/sys/fs/cgroup:rw",
        "-v",
        `${REPO}:${REPO}:ro`,
        "-v",
        `${process.execPath}:/usr/bin/node:ro`,
        "-v",
        `${name}-data:/var/lib/shoal`,
        "--tmpfs",
        "/run:rw,exec,mode=755",
        "--tmpfs",
        "/tmp:rw,exec,mode=1777",
        "-e",
        "HOME=/root",
        FRESH_DEBIAN_IMAGE,
        // Pid 1 reaps orphans (the daemons), as in harness nodes.
        "perl",
        "-e",
        "$SIG{TERM} = sub { exit 0 }; while (1) { sleep 1 if wait() < 0 }",
      ]);
      const { stdout } = await run("docker", [
        "inspect",
        "-f",
        `{{(index .NetworkSettings.Networks "${name}").IPAddress}}`,
        name,
      ]);
      return new FreshNode(name, stdout.trim(), `${CGROUP_PREFIX}${name}-0`);
    } catch (e) {
      removeHarnessResources(name);
      throw e;
    }
  }

  /** Runs a command inside the node as root. */
  async exec(cmd: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<ExecOutput> {
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    try {
      const { stdout, stderr } = await run("docker", ["exec", ...envArgs, this.name, ...cmd], { maxBuffer: 64 << 20 });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; code?: number | string };
      if (typeof x.code !== "number") throw e;
      return { stdout: x.stdout ?? "", stderr: x.stderr ?? "", code: x.code };
    }
  }

  /** Runs a command inside the node; rejects with its output when it exits non-zero. */
  async execOk(cmd: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<string> {
    const r = await this.exec(cmd, env);
    if (r.code !== 0)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: \`${cmd.join(" ")}\` on ${this.name} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    return r.stdout;
  }

  /** Copies a file of this host into the node. */
  async copyIn(hostPath: string, nodePath: string): Promise<void> {
    await run("docker", ["cp", hostPath, `${this.name}:${nodePath}`]);
  }

  /** Removes the container, its volume and its tasks' cgroups. */
  destroy(): void {
    removeHarnessResources(this.name);
  }
}

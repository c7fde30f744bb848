import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import type { ShoalClient } from "@shoal/api";
import { startCluster, type HarnessCluster } from "./cluster.js";
import { HarnessError } from "./errors.js";
import { API_PORT, REPO, type ExecOutput } from "./node.js";
import { clusterClient } from "./trust.js";
import { until } from "./until.js";

const run = promisify(execFile);

/** How long a VM (emulated, at worst) may take to come back from a reboot or a power-on. */
const REBOOT_MS = 600_000;

/** A node of a cluster under test, however it is reached (docker exec, ssh). */
export interface TargetNode {
  readonly hostname: string;
  readonly address: string;
  readonly role: "manager" | "worker";
  /** Runs a command on the node as root. */
  readonly exec: (cmd: readonly string[]) => Promise<ExecOutput>;
  /** Runs `shoal ARGS` on the node; rejects with its output when it fails. */
  readonly shoalOk: (args: readonly string[]) => Promise<string>;
  /**
   * Cuts the node's power: no shutdown, its daemons and tasks stop where they are and nothing tells the others
   * (a VM destroyed, a container node frozen). Absent where the target cannot (hosts reached by ssh).
   */
  readonly powerOff?: () => Promise<void>;
  /** Turns a powered-off node on again; resolves once it runs commands (its daemons start on their own). */
  readonly powerOn?: () => Promise<void>;
  /** Reboots the node cleanly; resolves once it runs commands again. */
  readonly reboot?: () => Promise<void>;
}

/** A cluster the end-to-end scenarios run against: made for the test, or one that already runs. */
export interface ClusterTarget {
  /** What it is, for messages: `containers`, `vagrant`, `ssh`. */
  readonly kind: string;
  readonly nodes: readonly TargetNode[];
  /** A client of the managers' APIs, over HTTPS with the cluster's trust bundle. */
  readonly client: () => ShoalClient;
  /** Loads an image tarball of this host on every node; the image's name. */
  readonly loadImage: (tarball: string) => Promise<string>;
  /**
   * Closes the API connections and removes what the target made for the test (a cluster made for it), not an
   * existing cluster.
   */
  readonly destroy: () => Promise<void>;
  /** What a failed scenario prints to be understood from a CI log (the nodes' daemon logs), where the target can. */
  readonly diagnostics?: () => Promise<string>;
}

/** How to reach nodes over ssh. */
export interface SshOptions {
  /** Login user; commands run through `sudo -n` unless it is root. */
  readonly user: string;
  /** Private key file, if not the ssh agent's or default one. */
  readonly key?: string;
  /** More `ssh` options, e.g. `-o StrictHostKeyChecking=no`. */
  readonly options?: readonly string[];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** A node reached by ssh; `shoal` is the command infra/install.sh put on its PATH. */
export class SshNode implements TargetNode {
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly role: "manager" | "worker",
    private readonly ssh: SshOptions,
    /** What ssh connects to: the address, or a Host of an ssh config file (`-F` in the options). */
    private readonly sshHost = address,
  ) {}

  private sshArgs(): string[] {
    return [
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      ...(this.ssh.key ? ["-i", this.ssh.key] : []),
      ...(this.ssh.options ?? []),
    ];
  }

  readonly exec = async (cmd: readonly string[]): Promise<ExecOutput> => {
    const line = [...(this.ssh.user === "root" ? [] : ["sudo", "-n"]), ...cmd].map(shellQuote).join(" ");
    try {
      const r = await run("ssh", [...this.sshArgs(), `${this.ssh.user}@${this.sshHost}`, "--", line], {
        maxBuffer: 16 << 20,
        timeout: 300_000,
      });
      return { stdout: r.stdout, stderr: r.stderr, code: 0 };
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; code?: number | string };
      if (typeof x.code !== "number") throw e;
      return { stdout: x.stdout ?? "", stderr: x.stderr ?? "", code: x.code };
    }
  };

  readonly shoalOk = async (args: readonly string[]): Promise<string> => {
    const r = await this.exec(["shoal", ...args]);
    if (r.code !== 0)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: \`shoal ${args.join(" ")}\` on ${this.hostname} (ssh ${this.address}) exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
      );
    return r.stdout;
  };

  /** The kernel's id of the node's current boot; undefined while it cannot be read (the node is down). */
  async bootId(): Promise<string | undefined> {
    const r = await this.exec(["cat", "/proc/sys/kernel/random/boot_id"]);
    return r.code === 0 ? r.stdout.trim() || undefined : undefined;
  }

  /** Waits until the node answers over ssh with a boot id other than `before`. */
  protected async bootedSince(before: string | undefined, what: string): Promise<void> {
    await until(
      async () => {
        const now = await this.bootId();
        return now !== undefined && now !== before;
      },
      REBOOT_MS,
      what,
      2_000,
    );
  }

  /** `systemctl reboot`, from a timer so that the ssh command returns first; resolves once the node is back. */
  readonly reboot = async (): Promise<void> => {
    const before = await this.bootId();
    if (before === undefined)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: cannot read the boot id of ${this.hostname} (is it up and reachable over ssh?), so its reboot could not be told apart`,
      );
    const r = await this.exec(["systemd-run", "--quiet", "--on-active=1", "systemctl", "reboot"]);
    if (r.code !== 0)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: could not schedule a reboot of ${this.hostname}: ${r.stderr || r.stdout}`,
      );
    await this.bootedSince(before, `${this.hostname} to come back from its reboot`);
  };

  /** Copies a file of this host to the node. */
  async copyIn(hostPath: string, nodePath: string): Promise<void> {
    await run("scp", [...this.sshArgs(), "-q", hostPath, `${this.ssh.user}@${this.sshHost}:${nodePath}`]);
  }
}

/**
 * A target of nodes reached by ssh: an existing cluster, left as it is by destroy(). Its API clients trust the
 * bundle the first manager holds, read over ssh.
 */
export async function sshTarget(kind: string, nodes: readonly SshNode[]): Promise<ClusterTarget> {
  const managers = nodes.filter((n) => n.role === "manager").map((n) => `${n.address}:${API_PORT}`);
  const first = nodes.find((n) => n.role === "manager");
  if (!first) throw new HarnessError("SHOAL_ERR_HARNESS_NODE", `harness: the ${kind} target lists no manager`);
  const api = await clusterClient(first, { managers });
  return {
    kind,
    nodes,
    client: () => api.clientOf({ managers }),
    loadImage: async (tarball) => {
      const remote = `/tmp/${basename(tarball)}`;
      const out = await Promise.all(
        nodes.map(async (n) => {
          await n.copyIn(tarball, remote);
          return n.shoalOk(["image", "load", "-i", remote]);
        }),
      );
      return /(\S+:\S+)/.exec(out[0] ?? "")?.[1] ?? "busybox:latest";
    },
    destroy: () => api.close(),
  };
}

/**
 * A VM of infra/vagrant under libvirt on this host: an ssh node whose power libvirt switches (`virsh destroy`,
 * the plug pulled; `virsh start`). Its domain is the one vagrant-libvirt named `<prefix>_<hostname>`.
 */
export class VagrantNode extends SshNode {
  private async virsh(args: readonly string[]): Promise<string> {
    try {
      return (await run("virsh", ["-c", "qemu:///system", ...args])).stdout;
    } catch (e) {
      const x = e as { stderr?: string; message: string };
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: \`virsh ${args.join(" ")}\` for ${this.hostname} failed (run the suite as root on the VMs' host): ${x.stderr?.trim() || x.message}`,
      );
    }
  }

  private async domain(): Promise<string> {
    const names = (await this.virsh(["list", "--all", "--name"])).split("\n").map((l) => l.trim());
    const mine = names.filter((n) => n === this.hostname || n.endsWith(`_${this.hostname}`));
    if (mine.length !== 1)
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: ${mine.length === 0 ? "no" : "more than one"} libvirt domain named *_${this.hostname} on this host (${mine.join(", ")})`,
      );
    return mine[0] ?? "";
  }

  readonly powerOff = async (): Promise<void> => {
    await this.virsh(["destroy", await this.domain()]);
  };

  readonly powerOn = async (): Promise<void> => {
    await this.virsh(["start", await this.domain()]);
    await this.bootedSince(undefined, `${this.hostname} to boot after its power-on`);
  };
}

/**
 * The nodes infra/vagrant's provisioning recorded (`.cluster/node-<name>`: name, role, address), reached as
 * the `vagrant` user; through `.cluster/ssh-config` by name when it exists (`vagrant ssh-config >
 * .cluster/ssh-config` writes it, with Vagrant's keys), else by address with the ssh options given.
 */
export function vagrantNodes(ssh: SshOptions, dir = join(REPO, "infra/vagrant/.cluster")): VagrantNode[] {
  const config = join(dir, "ssh-config");
  const viaConfig = existsSync(config);
  const opts: SshOptions = viaConfig ? { ...ssh, options: ["-F", config, ...(ssh.options ?? [])] } : ssh;
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.startsWith("node-"))
      .sort();
  } catch {
    files = [];
  }
  if (files.length === 0)
    throw new HarnessError(
      "SHOAL_ERR_HARNESS_NODE",
      `harness: no nodes recorded in ${dir}: bring the Vagrant cluster up first (cd infra/vagrant && vagrant up --no-parallel)`,
    );
  return files.map((f) => {
    const [name, role, address] = readFileSync(join(dir, f), "utf8").trim().split(/\s+/);
    if (!name || !address || (role !== "manager" && role !== "worker"))
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: ${join(dir, f)} must hold "NAME manager|worker ADDRESS"`,
      );
    return new VagrantNode(name, address, role, opts, viaConfig ? name : address);
  });
}

/**
 * Parses `SHOAL_E2E_NODES`: comma-separated `ROLE:ADDRESS` or `ROLE:NAME@ADDRESS` entries, role `manager` or
 * `worker` (`m`/`w`), e.g. `m:10.0.0.11,w:node2@10.0.0.21`.
 */
export function parseNodeList(spec: string, ssh: SshOptions): SshNode[] {
  return spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => {
      const m = /^(manager|worker|m|w):(?:([\w.-]+)@)?([\w.:-]+)$/.exec(entry);
      if (!m?.[1] || !m[3])
        throw new HarnessError(
          "SHOAL_ERR_HARNESS_NODE",
          `harness: SHOAL_E2E_NODES entry ${JSON.stringify(entry)} must be ROLE:ADDRESS or ROLE:NAME@ADDRESS (ROLE manager or worker)`,
        );
      return new SshNode(m[2] ?? m[3], m[3], m[1].startsWith("m") ? "manager" : "worker", ssh);
    });
}

/** A harness cluster of container nodes as a target; destroy() removes it. */
export function targetOf(c: HarnessCluster): ClusterTarget {
  return {
    kind: "containers",
    nodes: c.nodes,
    client: () => c.client(),
    loadImage: (t) => c.loadImage(t),
    destroy: () => c.destroy(),
    diagnostics: async () => {
      const tails = await Promise.all(c.nodes.map((n) => n.logTail(60).catch((e: unknown) => String(e))));
      return tails.join("\n");
    },
  };
}

/**
 * The cluster the scenarios run against, from `SHOAL_E2E_TARGET`: unset or `containers`, a new cluster of
 * harness containers (1 manager, 2 workers); `vagrant`, the nodes infra/vagrant recorded (in
 * `SHOAL_E2E_VAGRANT_DIR`, default infra/vagrant/.cluster); `ssh`, the nodes in
 * `SHOAL_E2E_NODES`. Over ssh: `SHOAL_E2E_SSH_USER` (default vagrant for vagrant, else root),
 * `SHOAL_E2E_SSH_KEY`, `SHOAL_E2E_SSH_OPTS` (space-separated extra ssh options).
 */
export async function connectTarget(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ClusterTarget> {
  const kind = env["SHOAL_E2E_TARGET"] ?? "containers";
  const ssh = (dfltUser: string): SshOptions => ({
    user: env["SHOAL_E2E_SSH_USER"] ?? dfltUser,
    ...(env["SHOAL_E2E_SSH_KEY"] ? { key: env["SHOAL_E2E_SSH_KEY"] } : {}),
    options: (env["SHOAL_E2E_SSH_OPTS"] ?? "").split(/\s+/).filter(Boolean),
  });
  switch (kind) {
    case "containers":
      return targetOf(await startCluster({ managers: 1, workers: 2 }));
    case "vagrant":
      return sshTarget(kind, vagrantNodes(ssh("vagrant"), env["SHOAL_E2E_VAGRANT_DIR"]));
    case "ssh":
      return sshTarget(kind, parseNodeList(env["SHOAL_E2E_NODES"] ?? "", ssh("root")));
    default:
      throw new HarnessError(
        "SHOAL_ERR_HARNESS_NODE",
        `harness: SHOAL_E2E_TARGET=${kind} is not a target: use containers (default), vagrant or ssh`,
      );
  }
}

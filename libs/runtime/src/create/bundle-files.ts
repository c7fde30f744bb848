import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  buildOciConfig,
  containerResolvConf,
  renderHostnameFile,
  renderHostsFile,
  type EtcFilePaths,
  type EffectiveProcess,
  type HostFacts,
  type ResolvedUser,
} from "../bundle/index.js";
import { prepareMountPoints } from "../container/overlay.js";
import type { ContainerSpec } from "../types.js";

/** Where the init is mounted inside containers. */
const INIT_PATH = "/.shoal-init";

/**
 * Writes the /etc files runc bind-mounts into a container, in its bundle dir `dir`: `hosts` and `hostname`
 * when it has a host name of its own, and always `resolv.conf` (the host's, fitted to its network and
 * `dnsServers`). Returns their paths.
 */
export async function writeEtcFiles(
  dir: string,
  spec: ContainerSpec,
  hostname: string | undefined,
): Promise<EtcFilePaths> {
  const resolvConf = join(dir, "resolv.conf");
  const files: EtcFilePaths = { resolvConf };
  if (hostname !== undefined) {
    files.hosts = join(dir, "hosts");
    files.hostname = join(dir, "hostname");
    await writeFile(files.hosts, renderHostsFile({ hostname }));
    await writeFile(files.hostname, renderHostnameFile(hostname));
  }
  const hostResolvConf = await readFile("/etc/resolv.conf", "utf8").catch(() => "");
  await writeFile(resolvConf, containerResolvConf(hostResolvConf, spec.network?.mode ?? "none", spec.dnsServers));
  return files;
}

/** What `writeBundleConfig` builds a container's `config.json` from. */
export interface BundleConfigInput {
  /** The container's bundle dir (config.json goes here; its rootfs is `rootfs/` in it). */
  dir: string;
  spec: ContainerSpec;
  /** The spec merged with the image's config. */
  process: EffectiveProcess;
  user: ResolvedUser;
  etcFiles: EtcFilePaths;
  /** Mountpoint of each named volume the spec mounts. */
  volumePaths: Record<string, string>;
  cgroupsPath: string;
  host: HostFacts;
  /** The image's layer dirs and the container's upper dir, where the mount points are made. */
  layerDirs: readonly string[];
  upperDir: string;
  /** The static init binary, bind-mounted as PID 1 unless the spec says `init: false`. */
  initPath: string;
}

/**
 * Builds the container's OCI `config.json` and writes it into its bundle dir, after creating in the upper dir
 * the files runc mounts over. Unless the spec says `init: false`, the command runs under the static init
 * (Docker's --init): it is bind-mounted read-only and its path is put before the command's arguments.
 */
export async function writeBundleConfig(b: BundleConfigInput): Promise<void> {
  const withInit = b.spec.init !== false;
  const config = buildOciConfig({
    spec: b.spec,
    process: b.process,
    user: b.user,
    rootfsPath: "rootfs",
    etcFiles: b.etcFiles,
    volumePaths: b.volumePaths,
    cgroupsPath: b.cgroupsPath,
    host: b.host,
  });
  await prepareMountPoints(b.layerDirs, b.upperDir, [
    ...(b.etcFiles.hosts ? ["/etc/hosts", "/etc/hostname"] : []),
    "/etc/resolv.conf",
    ...(withInit ? [INIT_PATH] : []),
  ]);
  if (withInit) {
    config.mounts.push({
      destination: INIT_PATH,
      type: "bind",
      source: b.initPath,
      options: ["rbind", "ro", "nosuid", "nodev"],
    });
    config.process.args = [INIT_PATH, ...config.process.args];
  }
  await writeFile(join(b.dir, "config.json"), JSON.stringify(config));
}

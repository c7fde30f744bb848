import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec, MountSpec } from "../types.js";
import { effectiveCapabilities } from "./capabilities.js";
import { DEFAULT_MOUNTS, DEVICE_RULES, MASKED_PATHS, READONLY_PATHS } from "./docker-defaults.js";
import type { HostFacts } from "./host-facts.js";
import { DEFAULT_NETWORK, type EffectiveProcess } from "./merge-image.js";
import { OCI_VERSION, type OciConfig, type OciMount, type OciNamespace, type OciResources } from "./oci-config.js";
import type { ResolvedUser } from "./resolve-user.js";
import { ociRlimits } from "./rlimits.js";
import { seccompProfile } from "./seccomp.js";
import { CPU_PERIOD_US, cpuQuota } from "./validate-resources.js";
import { validateSpec } from "./validate-spec.js";

/** Host files bind-mounted over the container's /etc files (each left out when absent). */
export interface EtcFilePaths {
  hosts?: string;
  hostname?: string;
  resolvConf?: string;
}

/** Everything buildOciConfig needs: the spec, what was derived from it, and where things are on the host. */
export interface OciConfigInput {
  spec: ContainerSpec;
  /** mergeWithImage's result for this spec. */
  process: EffectiveProcess;
  /** resolveUser's result for `process.user`. */
  user: ResolvedUser;
  host: HostFacts;
  /** The prepared root filesystem (absolute, or relative to the bundle). */
  rootfsPath: string;
  /** Where runc puts the container's cgroups, e.g. `/shoal/<id>` (below each controller's root on v1). */
  cgroupsPath: string;
  etcFiles: EtcFilePaths;
  /** Host directory of each volume the spec mounts, by volume name. */
  volumePaths: Readonly<Record<string, string>>;
}

/**
 * The config.json for a container, with Docker's defaults: its default capabilities adjusted by capAdd/capDrop,
 * the default seccomp profile for those capabilities (unless `seccomp: "unconfined"`), no new privileges (unless
 * `noNewPrivileges: false`), RLIMIT_NOFILE 1048576 (or the host's maximum, if lower) unless the spec sets it, the kernel filesystems, masked and read-only /proc paths,
 * devices denied but for the standard ones, new pid, ipc, uts and mount namespaces and the network the spec
 * asks for. Validates the spec first; throws InvalidSpecError for a bad spec or a volume without a host path.
 */
export function buildOciConfig(input: OciConfigInput): OciConfig {
  const { spec, process, user, host } = input;
  validateSpec(spec, host);
  const capabilities = effectiveCapabilities(spec.capAdd, spec.capDrop);
  const network = spec.network ?? DEFAULT_NETWORK;
  const namespaces: OciNamespace[] = [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }];
  if (network.mode === "none") namespaces.push({ type: "network" });
  else if (network.mode === "path") namespaces.push({ type: "network", path: network.path });
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids.length > 0 ? { additionalGids: [...user.additionalGids] } : {}),
      },
      args: [...process.args],
      env: [...process.env],
      cwd: process.cwd,
      capabilities: { bounding: capabilities, effective: [...capabilities], permitted: [...capabilities] },
      rlimits: ociRlimits(spec.rlimits, host.maxNofile),
      noNewPrivileges: spec.noNewPrivileges ?? true,
      oomScoreAdj: 0,
    },
    root: { path: input.rootfsPath, readonly: spec.readOnlyRootfs ?? false },
    ...(network.mode === "host" || process.hostname === undefined ? {} : { hostname: process.hostname }),
    mounts: buildMounts(input),
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources: buildResources(spec, host),
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
      rootfsPropagation: "private",
      ...(spec.seccomp === "unconfined" ? {} : { seccomp: seccompProfile(capabilities, host.arch) }),
    },
  };
}

function bind(destination: string, source: string, readOnly: boolean): OciMount {
  return { destination, type: "bind", source, options: ["rbind", "rprivate", ...(readOnly ? ["ro"] : [])] };
}

function userMount(m: MountSpec, i: number, volumePaths: Readonly<Record<string, string>>): OciMount {
  switch (m.type) {
    case "bind":
      return bind(m.target, m.source, m.readOnly ?? false);
    case "volume": {
      const dir = Object.hasOwn(volumePaths, m.source) ? volumePaths[m.source] : undefined;
      if (dir === undefined) {
        throw new InvalidSpecError(
          `mounts[${i}].source`,
          `volume ${JSON.stringify(m.source)} has no host directory; create the volume first`,
        );
      }
      return bind(m.target, dir, m.readOnly ?? false);
    }
    case "tmpfs": {
      const options = ["nosuid", "nodev"];
      if (m.sizeBytes !== undefined) options.push(`size=${m.sizeBytes}`);
      if (m.mode !== undefined) options.push(`mode=${m.mode.toString(8).padStart(4, "0")}`);
      return { destination: m.target, type: "tmpfs", source: "tmpfs", options };
    }
  }
}

function depth(p: string): number {
  return p.split("/").length;
}

/**
 * Default mounts first (minus those a spec mount or /etc file replaces), then the /etc files and the spec's
 * mounts ordered by target depth, so a mount at /a is in place before one at /a/b.
 */
function buildMounts(input: OciConfigInput): OciMount[] {
  const { spec, etcFiles, volumePaths } = input;
  const readOnlyEtc = spec.readOnlyRootfs ?? false;
  const own = (spec.mounts ?? []).map((m, i) => userMount(m, i, volumePaths));
  const taken = new Set(own.map((m) => m.destination));
  const etc: OciMount[] = [];
  const etcEntries: [string, string | undefined][] = [
    ["/etc/hosts", etcFiles.hosts],
    ["/etc/hostname", etcFiles.hostname],
    ["/etc/resolv.conf", etcFiles.resolvConf],
  ];
  for (const [target, source] of etcEntries) {
    if (source !== undefined && !taken.has(target)) etc.push(bind(target, source, readOnlyEtc));
  }
  const added = [...etc, ...own];
  const addedTargets = new Set(added.map((m) => m.destination));
  const defaults = DEFAULT_MOUNTS.filter((m) => !addedTargets.has(m.destination)).map((m) => ({
    ...m,
    options: [...m.options],
  }));
  // Array.prototype.sort is stable, so mounts of equal depth keep their order.
  return [...defaults, ...added.sort((a, b) => depth(a.destination) - depth(b.destination))];
}

function buildResources(spec: ContainerSpec, host: HostFacts): OciResources {
  const r = spec.resources ?? {};
  const resources: OciResources = { devices: DEVICE_RULES.map((d) => ({ ...d })) };
  if (r.memoryBytes !== undefined || r.memoryReservationBytes !== undefined) {
    resources.memory = {
      ...(r.memoryBytes === undefined ? {} : { limit: r.memoryBytes }),
      ...(r.memoryReservationBytes === undefined ? {} : { reservation: r.memoryReservationBytes }),
      // memory+swap equal to the limit: the container may not swap. Setting it needs swap accounting.
      ...(r.memoryBytes !== undefined && host.swapAccounting ? { swap: r.memoryBytes } : {}),
    };
  }
  if (r.cpus !== undefined || r.cpuShares !== undefined || r.cpusetCpus !== undefined) {
    resources.cpu = {
      ...(r.cpuShares === undefined ? {} : { shares: r.cpuShares }),
      ...(r.cpus === undefined ? {} : { quota: cpuQuota(r.cpus), period: CPU_PERIOD_US }),
      ...(r.cpusetCpus === undefined ? {} : { cpus: r.cpusetCpus }),
    };
  }
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) resources.pids = { limit: r.pidsLimit };
  return resources;
}

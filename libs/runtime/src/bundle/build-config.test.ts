import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec, ImageConfig } from "../types.js";
import { buildOciConfig, type OciConfigInput } from "./build-config.js";
import { DEFAULT_MOUNTS, MASKED_PATHS, READONLY_PATHS } from "./docker-defaults.js";
import type { HostFacts } from "./host-facts.js";
import { mergeWithImage } from "./merge-image.js";
import type { OciConfig } from "./oci-config.js";

const HOST: HostFacts = {
  cgroupVersion: 1,
  swapAccounting: true,
  cpuCount: 2,
  memoryBytes: 24 * 1024 ** 3,
  arch: "x64",
};
const IMAGE: ImageConfig = { cmd: ["sh"], env: [], exposedPorts: [], labels: {}, volumes: [] };
const ETC = { hosts: "/run/c/hosts", hostname: "/run/c/hostname", resolvConf: "/run/c/resolv.conf" };
const MiB = 1024 * 1024;

const DOCKER_CAPS = [
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_RAW",
  "CAP_SYS_CHROOT",
  "CAP_MKNOD",
  "CAP_AUDIT_WRITE",
  "CAP_SETFCAP",
];

function build(patch: Partial<ContainerSpec> = {}, input: Partial<OciConfigInput> = {}): OciConfig {
  const spec: ContainerSpec = { id: "c1", image: "busybox", ...patch };
  return buildOciConfig({
    spec,
    process: mergeWithImage(spec, IMAGE),
    user: { uid: 0, gid: 0, additionalGids: [] },
    host: HOST,
    rootfsPath: "rootfs",
    cgroupsPath: "/shoal/c1",
    etcFiles: ETC,
    volumePaths: {},
    ...input,
  });
}

describe("buildOciConfig defaults", () => {
  const config = build();

  it("runs the merged process as the resolved user with Docker's defaults", () => {
    assert.equal(config.ociVersion, "1.0.2");
    assert.deepEqual(config.process.args, ["sh"]);
    assert.equal(config.process.cwd, "/");
    assert.deepEqual(config.process.user, { uid: 0, gid: 0 });
    assert.equal(config.process.terminal, false);
    assert.equal(config.process.noNewPrivileges, true);
    assert.equal(config.process.oomScoreAdj, 0);
    assert.deepEqual(config.process.rlimits, [{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }]);
  });

  it("grants exactly Docker's default capabilities in bounding, effective and permitted", () => {
    const { bounding, effective, permitted } = config.process.capabilities;
    assert.deepEqual([...bounding].sort(), [...DOCKER_CAPS].sort());
    assert.deepEqual(effective, bounding);
    assert.deepEqual(permitted, bounding);
  });

  it("has new pid, ipc, uts, mount and network namespaces and a hostname", () => {
    assert.deepEqual(config.linux.namespaces.map((n) => n.type).sort(), ["ipc", "mount", "network", "pid", "uts"]);
    assert.ok(config.linux.namespaces.every((n) => n.path === undefined));
    assert.equal(config.hostname, "c1");
  });

  it("mounts the kernel filesystems, then the /etc files", () => {
    assert.deepEqual(
      config.mounts.map((m) => m.destination),
      [
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
        "/sys/fs/cgroup",
        "/etc/hosts",
        "/etc/hostname",
        "/etc/resolv.conf",
      ],
    );
    assert.ok(config.mounts.find((m) => m.destination === "/dev/shm")?.options.includes(`size=${64 * MiB}`));
    assert.ok(config.mounts.find((m) => m.destination === "/sys")?.options.includes("ro"));
    assert.ok(config.mounts.find((m) => m.destination === "/sys/fs/cgroup")?.options.includes("ro"));
    assert.deepEqual(config.mounts.at(-1), {
      destination: "/etc/resolv.conf",
      type: "bind",
      source: ETC.resolvConf,
      options: ["rbind", "rprivate"],
    });
  });

  it("masks and protects Docker's /proc and /sys paths and keeps the root private", () => {
    assert.ok(config.linux.maskedPaths.includes("/proc/kcore"));
    assert.ok(config.linux.readonlyPaths.includes("/proc/sys"));
    assert.deepEqual(config.linux.maskedPaths, [...MASKED_PATHS]);
    assert.deepEqual(config.linux.readonlyPaths, [...READONLY_PATHS]);
    assert.equal(config.linux.rootfsPropagation, "private");
    assert.deepEqual(config.root, { path: "rootfs", readonly: false });
    assert.equal(config.linux.cgroupsPath, "/shoal/c1");
  });

  it("denies all devices first, then allows the standard ones, and sets no limits", () => {
    const { devices, ...limits } = config.linux.resources;
    assert.deepEqual(devices[0], { allow: false, access: "rwm" });
    assert.ok(devices.some((d) => d.allow && d.type === "c" && d.major === 1 && d.minor === 3 && d.access === "rwm"));
    assert.ok(devices.some((d) => d.allow && d.type === "c" && d.major === 136 && d.minor === undefined));
    assert.deepEqual(limits, {});
  });

  it("serializes to JSON without losing anything", () => {
    assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
  });

  it("does not share the default tables with the caller", () => {
    build().mounts[0]?.options.push("mutated");
    assert.ok(!DEFAULT_MOUNTS[0]?.options.includes("mutated"));
  });
});

describe("buildOciConfig capabilities", () => {
  const cases: [string, Partial<ContainerSpec>, (caps: string[]) => void][] = [
    [
      "adds one",
      { capAdd: ["net_admin"] },
      (c) => assert.deepEqual([...c].sort(), [...DOCKER_CAPS, "CAP_NET_ADMIN"].sort()),
    ],
    [
      "drops one",
      { capDrop: ["CAP_NET_RAW"] },
      (c) => assert.deepEqual([...c].sort(), DOCKER_CAPS.filter((x) => x !== "CAP_NET_RAW").sort()),
    ],
    ["drops ALL and adds one", { capDrop: ["ALL"], capAdd: ["CHOWN"] }, (c) => assert.deepEqual(c, ["CAP_CHOWN"])],
    ["drops ALL", { capDrop: ["all"] }, (c) => assert.deepEqual(c, [])],
    [
      "adds ALL but one",
      { capAdd: ["ALL"], capDrop: ["SYS_ADMIN"] },
      (c) => {
        assert.equal(c.length, 40);
        assert.ok(!c.includes("CAP_SYS_ADMIN"));
      },
    ],
    ["lets an add win over a drop", { capAdd: ["KILL"], capDrop: ["KILL"] }, (c) => assert.ok(c.includes("CAP_KILL"))],
  ];
  for (const [name, patch, check] of cases) {
    it(name, () => {
      const caps = build(patch).process.capabilities;
      check(caps.bounding);
      assert.deepEqual(caps.effective, caps.bounding);
    });
  }
});

describe("buildOciConfig sandbox", () => {
  const allowed = (config: ReturnType<typeof build>) => config.linux.seccomp?.syscalls[0]?.names ?? [];

  it("filters syscalls with the default profile for the container's capabilities", () => {
    const config = build();
    assert.equal(config.linux.seccomp?.defaultAction, "SCMP_ACT_ERRNO");
    assert.ok(!allowed(config).includes("mount"));
    assert.ok(allowed(build({ capAdd: ["SYS_ADMIN"] })).includes("mount"));
    assert.ok(!allowed(build({ capDrop: ["SYS_CHROOT"] })).includes("chroot"));
  });

  it("runs without a filter when unconfined, and may allow new privileges", () => {
    const config = build({ seccomp: "unconfined", noNewPrivileges: false });
    assert.equal(config.linux.seccomp, undefined);
    assert.equal(config.process.noNewPrivileges, false);
    assert.equal(build({ seccomp: "default" }).process.noNewPrivileges, true);
  });

  it("refuses a CPU it has no profile for, naming the way out", () => {
    const host = { ...HOST, arch: "riscv64" };
    assert.throws(() => build({}, { host }), /invalid seccomp: .*"riscv64".*"unconfined"/);
    assert.equal(build({ seccomp: "unconfined" }, { host }).linux.seccomp, undefined);
  });
});

describe("buildOciConfig network", () => {
  it("joins a namespace by path", () => {
    const c = build({ network: { mode: "path", path: "/run/netns/n1" } });
    assert.deepEqual(
      c.linux.namespaces.find((n) => n.type === "network"),
      { type: "network", path: "/run/netns/n1" },
    );
    assert.equal(c.hostname, "c1");
  });

  it("shares the host's network and name", () => {
    const c = build({ network: { mode: "host" } });
    assert.equal(
      c.linux.namespaces.find((n) => n.type === "network"),
      undefined,
    );
    assert.ok(c.linux.namespaces.some((n) => n.type === "uts"));
    assert.ok(!("hostname" in c));
  });
});

describe("buildOciConfig resources", () => {
  const cases: [string, Partial<ContainerSpec>, HostFacts, object][] = [
    [
      "memory without swap",
      { resources: { memoryBytes: 64 * MiB, memoryReservationBytes: 32 * MiB } },
      HOST,
      { memory: { limit: 64 * MiB, reservation: 32 * MiB, swap: 64 * MiB } },
    ],
    [
      "memory on a host without swap accounting",
      { resources: { memoryBytes: 64 * MiB } },
      { ...HOST, swapAccounting: false },
      { memory: { limit: 64 * MiB } },
    ],
    [
      "a reservation alone",
      { resources: { memoryReservationBytes: 32 * MiB } },
      HOST,
      { memory: { reservation: 32 * MiB } },
    ],
    [
      "cpus as quota over a 100 ms period",
      { resources: { cpus: 1.5 } },
      HOST,
      { cpu: { quota: 150000, period: 100000 } },
    ],
    [
      "shares and cpuset",
      { resources: { cpuShares: 512, cpusetCpus: "1" } },
      HOST,
      { cpu: { shares: 512, cpus: "1" } },
    ],
    ["a pids limit", { resources: { pidsLimit: 100 } }, HOST, { pids: { limit: 100 } }],
    ["a pids limit of 0 as unlimited", { resources: { pidsLimit: 0 } }, HOST, {}],
  ];
  for (const [name, patch, host, want] of cases) {
    it(name, () => {
      const { devices: _devices, ...limits } = build(patch, { host }).linux.resources;
      assert.deepEqual(limits, want);
    });
  }
});

describe("buildOciConfig mounts", () => {
  it("orders the spec's mounts parents first and maps each type", () => {
    const c = build(
      {
        mounts: [
          { type: "bind", source: "/srv/a/b", target: "/a/b", readOnly: true },
          { type: "volume", source: "vol1", target: "/a" },
          { type: "tmpfs", target: "/scratch", sizeBytes: 8 * MiB, mode: 0o700 },
          { type: "tmpfs", target: "/t2" },
        ],
      },
      { volumePaths: { vol1: "/var/lib/shoal/volumes/vol1/_data" } },
    );
    const own = c.mounts.slice(DEFAULT_MOUNTS.length);
    assert.deepEqual(
      own.map((m) => m.destination),
      ["/a", "/scratch", "/t2", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/a/b"],
    );
    assert.deepEqual(own[0], {
      destination: "/a",
      type: "bind",
      source: "/var/lib/shoal/volumes/vol1/_data",
      options: ["rbind", "rprivate"],
    });
    assert.deepEqual(own[1], {
      destination: "/scratch",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "nodev", `size=${8 * MiB}`, "mode=0700"],
    });
    assert.deepEqual(own[2]?.options, ["nosuid", "nodev"]);
    assert.deepEqual(own.at(-1), {
      destination: "/a/b",
      type: "bind",
      source: "/srv/a/b",
      options: ["rbind", "rprivate", "ro"],
    });
  });

  it("lets a spec mount replace a default mount or an /etc file", () => {
    const c = build({
      mounts: [
        { type: "tmpfs", target: "/dev/shm", sizeBytes: 256 * MiB },
        { type: "bind", source: "/srv/hosts", target: "/etc/hosts" },
      ],
    });
    assert.equal(c.mounts.filter((m) => m.destination === "/dev/shm").length, 1);
    assert.ok(c.mounts.find((m) => m.destination === "/dev/shm")?.options.includes(`size=${256 * MiB}`));
    assert.deepEqual(
      c.mounts.filter((m) => m.destination === "/etc/hosts").map((m) => m.source),
      ["/srv/hosts"],
    );
  });

  it("makes the root and the /etc files read-only with a read-only rootfs", () => {
    const c = build({ readOnlyRootfs: true });
    assert.equal(c.root.readonly, true);
    for (const m of c.mounts.filter((x) => x.destination.startsWith("/etc/")))
      assert.ok(m.options.includes("ro"), m.destination);
  });

  it("leaves out /etc files it has no host path for", () => {
    const c = build({}, { etcFiles: { hosts: "/run/c/hosts" } });
    assert.deepEqual(
      c.mounts.filter((m) => m.destination.startsWith("/etc/")).map((m) => m.destination),
      ["/etc/hosts"],
    );
  });

  it("refuses a volume without a host directory", () => {
    assert.throws(
      () => build({ mounts: [{ type: "volume", source: "missing", target: "/m" }] }, { volumePaths: { other: "/x" } }),
      (e: unknown) =>
        e instanceof InvalidSpecError && e.field === "mounts[0].source" && /create the volume/.test(e.message),
    );
  });
});

describe("buildOciConfig process details", () => {
  it("passes supplementary groups and replaces the default open-files limit", () => {
    const c = build(
      {
        rlimits: [
          { type: "core", soft: 0, hard: 0 },
          { type: "nofile", soft: 1024, hard: 2048 },
        ],
      },
      { user: { uid: 1000, gid: 1000, additionalGids: [10, 29] } },
    );
    assert.deepEqual(c.process.user, { uid: 1000, gid: 1000, additionalGids: [10, 29] });
    assert.deepEqual(c.process.rlimits, [
      { type: "RLIMIT_CORE", soft: 0, hard: 0 },
      { type: "RLIMIT_NOFILE", soft: 1024, hard: 2048 },
    ]);
  });

  it("lowers the default open-files limit to what the host can give", () => {
    assert.deepEqual(build({}, { host: { ...HOST, maxNofile: 20000 } }).process.rlimits, [
      { type: "RLIMIT_NOFILE", soft: 20000, hard: 20000 },
    ]);
  });

  it("keeps the default open-files limit beside other limits", () => {
    const c = build({ rlimits: [{ type: "RLIMIT_NPROC", soft: 10, hard: 20 }] });
    assert.deepEqual(
      c.process.rlimits.map((r) => r.type),
      ["RLIMIT_NPROC", "RLIMIT_NOFILE"],
    );
  });

  it("validates the spec before building", () => {
    assert.throws(
      () => build({ resources: { cpus: 3 } }),
      (e: unknown) => e instanceof InvalidSpecError && e.field === "resources.cpus",
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import type { ContainerSpec } from "../types.js";
import type { HostFacts } from "./host-facts.js";
import { validateSpec } from "./validate-spec.js";

const HOST: HostFacts = {
  cgroupVersion: 1,
  swapAccounting: true,
  cpuCount: 2,
  memoryBytes: 24 * 1024 ** 3,
  maxNofile: 20000,
  arch: "x64",
};
const MiB = 1024 * 1024;

const BASE: ContainerSpec = { id: "task.1_a-b", image: "busybox:latest" };

/** A spec that uses every field, all valid. */
const FULL: ContainerSpec = {
  ...BASE,
  entrypoint: ["/bin/sh", "-c"],
  cmd: ["echo hi"],
  env: ["A=1", "_B=", "C_3=x=y"],
  user: "app:audio",
  workdir: "/srv/app",
  hostname: "web-1.example",
  network: { mode: "path", path: "/run/netns/n1" },
  mounts: [
    { type: "volume", source: "data.v1", target: "/data" },
    { type: "bind", source: "/srv/conf", target: "/etc/app", readOnly: true },
    { type: "tmpfs", target: "/tmp", sizeBytes: 64 * MiB, mode: 0o1777 },
  ],
  readOnlyRootfs: true,
  resources: {
    memoryBytes: 6 * MiB,
    memoryReservationBytes: 6 * MiB,
    cpus: 2,
    cpuShares: 262144,
    cpusetCpus: "0-1",
    pidsLimit: 0,
  },
  capAdd: ["net_admin", "CAP_SYS_TIME"],
  capDrop: ["ALL"],
  seccomp: "unconfined",
  noNewPrivileges: false,
  rlimits: [
    { type: "nofile", soft: 1024, hard: 4096 },
    { type: "RLIMIT_CORE", soft: 0, hard: 0 },
  ],
  stopSignal: "SIGRTMIN+3",
  stopGracePeriodMs: 0,
  healthcheck: { test: ["CMD-SHELL", "true"], intervalMs: 0, timeoutMs: 1000, retries: 0, startPeriodMs: 0 },
  log: { maxSizeBytes: 1, maxFiles: 1 },
};

describe("validateSpec accepts", () => {
  const good: [string, ContainerSpec][] = [
    ["the minimal spec", BASE],
    ["a spec using every field", FULL],
    ["an id of 128 characters", { ...BASE, id: "a".repeat(128) }],
    ["host networking without a hostname", { ...BASE, network: { mode: "host" } }],
    ["a hostname of 63 characters", { ...BASE, hostname: "h".repeat(63) }],
    ["cpus of 0.01", { ...BASE, resources: { cpus: 0.01 } }],
    ["a cpuset list", { ...BASE, resources: { cpusetCpus: "0,1" } }],
    ["memory equal to the host's", { ...BASE, resources: { memoryBytes: HOST.memoryBytes } }],
    ["an empty health check test (keeps the image's)", { ...BASE, healthcheck: { test: [], retries: 5 } }],
    ["a NONE health check", { ...BASE, healthcheck: { test: ["NONE"] } }],
    ["cap ALL added and one dropped", { ...BASE, capAdd: ["ALL"], capDrop: ["SYS_ADMIN"] }],
    ["a numeric stop signal", { ...BASE, stopSignal: "9" }],
  ];
  for (const [name, spec] of good) it(name, () => validateSpec(spec, HOST));
});

describe("validateSpec refuses", () => {
  const bad: [string, Partial<ContainerSpec>, string, RegExp][] = [
    ["an empty id", { id: "" }, "id", /A-Za-z0-9/],
    ["an id starting with a dot", { id: ".x" }, "id", /starting with a letter or digit/],
    ["an id of 129 characters", { id: "a".repeat(129) }, "id", /1-128/],
    ["an id with a slash", { id: "a/b" }, "id", /not a container id/],
    ["an empty image", { image: " " }, "image", /name an image/],
    ["an argument with NUL", { cmd: ["a\0b"] }, "cmd[0]", /NUL/],
    ["memory below 6 MiB", { resources: { memoryBytes: 6 * MiB - 1 } }, "resources.memoryBytes", /6291456 \(6 MiB\)/],
    [
      "memory above the host's",
      { resources: { memoryBytes: HOST.memoryBytes + 1 } },
      "resources.memoryBytes",
      /host's memory/,
    ],
    ["fractional memory", { resources: { memoryBytes: 7 * MiB + 0.5 } }, "resources.memoryBytes", /whole number/],
    [
      "a reservation above the limit",
      { resources: { memoryBytes: 8 * MiB, memoryReservationBytes: 9 * MiB } },
      "resources.memoryReservationBytes",
      /must not exceed the limit/,
    ],
    [
      "a negative reservation",
      { resources: { memoryReservationBytes: -1 } },
      "resources.memoryReservationBytes",
      /out of range/,
    ],
    ["zero cpus", { resources: { cpus: 0 } }, "resources.cpus", /0\.01 to the host's 2/],
    ["more cpus than the host", { resources: { cpus: 2.5 } }, "resources.cpus", /host's 2/],
    ["NaN cpus", { resources: { cpus: Number.NaN } }, "resources.cpus", /out of range/],
    ["cpu shares of 1", { resources: { cpuShares: 1 } }, "resources.cpuShares", /2 to 262144/],
    ["cpu shares of 262145", { resources: { cpuShares: 262145 } }, "resources.cpuShares", /2 to 262144/],
    ["a cpuset with bad syntax", { resources: { cpusetCpus: "0-" } }, "resources.cpusetCpus", /like "0-1"/],
    ["a backwards cpuset range", { resources: { cpusetCpus: "1-0" } }, "resources.cpusetCpus", /backwards/],
    ["an empty cpuset", { resources: { cpusetCpus: "" } }, "resources.cpusetCpus", /empty/],
    [
      "a cpuset naming a missing CPU",
      { resources: { cpusetCpus: "0,2" } },
      "resources.cpusetCpus",
      /CPU 2 does not exist; this host has CPUs 0-1/,
    ],
    ["a negative pids limit", { resources: { pidsLimit: -1 } }, "resources.pidsLimit", />= 0/],
    ["a fractional pids limit", { resources: { pidsLimit: 1.5 } }, "resources.pidsLimit", /whole number/],
    ["a relative mount target", { mounts: [{ type: "tmpfs", target: "tmp" }] }, "mounts[0].target", /absolute path/],
    ["a mount target with ..", { mounts: [{ type: "tmpfs", target: "/a/../b" }] }, "mounts[0].target", /normal form/],
    [
      "a mount target with a trailing slash",
      { mounts: [{ type: "tmpfs", target: "/a/" }] },
      "mounts[0].target",
      /normal form/,
    ],
    ["a mount over /", { mounts: [{ type: "tmpfs", target: "/" }] }, "mounts[0].target", /cannot mount over \//],
    ["a mount inside /proc", { mounts: [{ type: "tmpfs", target: "/proc/sys" }] }, "mounts[0].target", /\/proc/],
    [
      "two mounts at one target",
      {
        mounts: [
          { type: "tmpfs", target: "/a" },
          { type: "bind", source: "/x", target: "/a" },
        ],
      },
      "mounts[1].target",
      /mounts\[0\]/,
    ],
    [
      "a relative bind source",
      { mounts: [{ type: "bind", source: "x", target: "/a" }] },
      "mounts[0].source",
      /absolute host path/,
    ],
    [
      "a bad volume name",
      { mounts: [{ type: "volume", source: "a/b", target: "/a" }] },
      "mounts[0].source",
      /volume name/,
    ],
    [
      "a one-letter volume name",
      { mounts: [{ type: "volume", source: "a", target: "/a" }] },
      "mounts[0].source",
      /2-255/,
    ],
    ["a zero tmpfs size", { mounts: [{ type: "tmpfs", target: "/a", sizeBytes: 0 }] }, "mounts[0].sizeBytes", /> 0/],
    [
      "a tmpfs mode above 07777",
      { mounts: [{ type: "tmpfs", target: "/a", mode: 0o10000 }] },
      "mounts[0].mode",
      /0o7777/,
    ],
    [
      "an unknown mount type",
      { mounts: [{ type: "nfs", target: "/a" } as never] },
      "mounts[0].type",
      /volume, bind or tmpfs/,
    ],
    ["an env entry without =", { env: ["A=1", "B"] }, "env[1]", /NAME=value/],
    ["an env name starting with a digit", { env: ["1A=x"] }, "env[0]", /NAME=value/],
    ["an env entry with an empty name", { env: ["=x"] }, "env[0]", /NAME=value/],
    ["an env value with NUL", { env: ["A=\0"] }, "env[0]", /NUL/],
    ["an unknown stop signal", { stopSignal: "SIGNOPE" }, "stopSignal", /SIGTERM/],
    ["a seccomp profile path", { seccomp: "/etc/profile.json" as never }, "seccomp", /"default".*"unconfined"/],
    ["a non-boolean noNewPrivileges", { noNewPrivileges: "false" as never }, "noNewPrivileges", /true.*false/],
    ["an unknown rlimit", { rlimits: [{ type: "files", soft: 1, hard: 1 }] }, "rlimits[0].type", /nofile/],
    [
      "an rlimit soft above hard",
      { rlimits: [{ type: "nofile", soft: 2, hard: 1 }] },
      "rlimits[0].soft",
      /must not exceed/,
    ],
    ["a negative rlimit", { rlimits: [{ type: "core", soft: -1, hard: 0 }] }, "rlimits[0].soft", /whole number/],
    [
      "more open files than the host allows",
      { rlimits: [{ type: "nofile", soft: 1, hard: 20001 }] },
      "rlimits[0].hard",
      /20000, the most/,
    ],
    [
      "an rlimit given twice",
      {
        rlimits: [
          { type: "nofile", soft: 1, hard: 1 },
          { type: "RLIMIT_NOFILE", soft: 1, hard: 1 },
        ],
      },
      "rlimits[1].type",
      /twice/,
    ],
    ["an unknown capability to add", { capAdd: ["NET_ADMIN", "CAP_FLY"] }, "capAdd[1]", /unknown capability "CAP_FLY"/],
    ["an unknown capability to drop", { capDrop: ["nope"] }, "capDrop[0]", /NET_ADMIN/],
    ["a hostname of 64 characters", { hostname: "h".repeat(64) }, "hostname", /at most 63/],
    ["a hostname with an underscore", { hostname: "a_b" }, "hostname", /RFC 1123/],
    ["a hostname ending in a hyphen", { hostname: "ab-" }, "hostname", /RFC 1123/],
    ["a hostname with an empty label", { hostname: "a..b" }, "hostname", /RFC 1123/],
    ["a hostname with host networking", { hostname: "x", network: { mode: "host" } }, "hostname", /network mode host/],
    ["a relative network path", { network: { mode: "path", path: "netns/x" } }, "network.path", /absolute path/],
    ["an unknown network mode", { network: { mode: "bridge" } as never }, "network.mode", /none, host or path/],
    ["a negative stop grace", { stopGracePeriodMs: -1 }, "stopGracePeriodMs", />= 0/],
    [
      "a negative health interval",
      { healthcheck: { test: ["CMD", "true"], intervalMs: -5 } },
      "healthcheck.intervalMs",
      />= 0/,
    ],
    [
      "a negative health timeout",
      { healthcheck: { test: ["CMD", "true"], timeoutMs: -1 } },
      "healthcheck.timeoutMs",
      />= 0/,
    ],
    [
      "a negative start period",
      { healthcheck: { test: ["CMD", "true"], startPeriodMs: -1 } },
      "healthcheck.startPeriodMs",
      />= 0/,
    ],
    ["negative health retries", { healthcheck: { test: ["CMD", "true"], retries: -1 } }, "healthcheck.retries", />= 0/],
    ["a health test of unknown form", { healthcheck: { test: ["RUN", "true"] } }, "healthcheck.test", /CMD-SHELL/],
    [
      "a CMD-SHELL test with two arguments",
      { healthcheck: { test: ["CMD-SHELL", "a", "b"] } },
      "healthcheck.test",
      /CMD-SHELL/,
    ],
    ["a relative workdir", { workdir: "app" }, "workdir", /absolute path/],
    ["a user with three parts", { user: "a:b:c" }, "user", /name:group/],
    ["an empty user", { user: "" }, "user", /uid:gid/],
    ["zero log files", { log: { maxFiles: 0 } }, "log.maxFiles", /> 0/],
  ];
  for (const [name, patch, field, message] of bad) {
    it(`${name} (${field})`, () => {
      assert.throws(
        () => validateSpec({ ...BASE, ...patch }, HOST),
        (e: unknown) => {
          assert.ok(e instanceof InvalidSpecError, `not an InvalidSpecError: ${String(e)}`);
          assert.equal(e.field, field);
          assert.match(e.message, message);
          assert.match(e.message, /^runtime: invalid /);
          assert.equal(e.code, "SHOAL_ERR_INVALID_SPEC");
          return true;
        },
      );
    });
  }
});

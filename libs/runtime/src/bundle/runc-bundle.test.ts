import assert from "node:assert/strict";
import fs from "node:fs/promises";
import os from "node:os";
import { after, before, describe, it } from "node:test";
import { execa } from "execa";
import { rootSkip as rootSkipReason } from "../testing/runtime-fixture.js";
import { openBundleRunner, outputFields as fields, type BundleRunner } from "./runc-test-util.js";

/** Docker's default capability set as the kernel shows it (CapEff in /proc/<pid>/status). */
const DOCKER_CAP_MASK = "00000000a80425fb";
const MiB = 1024 * 1024;

// Runs real containers with runc from configs built here: proves the configs do what they claim.
describe("OCI configs run under runc", { skip: rootSkipReason }, () => {
  const netnsName = `shoal-t-${process.pid}`;
  let runner: BundleRunner;
  let host: BundleRunner["host"];
  const run = (...args: Parameters<BundleRunner["run"]>) => runner.run(...args);

  before(async () => {
    runner = await openBundleRunner("shoal-bundle");
    host = runner.host;
  });

  after(() => runner?.close());

  describe("a container with its own network, read-only root and limits", () => {
    let result: Awaited<ReturnType<typeof run>>;
    let out: Map<string, string>;
    const masked = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi", "/sys/firmware"];

    before(async () => {
      const script = [
        'echo "pid=$$"',
        'echo "hostname=$(hostname)"',
        'read h < /etc/hostname; echo "etc-hostname=$h"',
        'echo "capeff=$(grep CapEff /proc/self/status | cut -f2)"',
        'echo "nofile=$(ulimit -n)/$(ulimit -Hn)"',
        `for p in ${masked.join(" ")}; do if [ -d $p ]; then echo "masked:$p=$(ls -A $p | wc -l)"; ` +
          'elif [ -e $p ]; then echo "masked:$p=$(wc -c < $p)"; else echo "masked:$p=absent"; fi; done',
        "if (echo x > /proc/sys/kernel/domainname) 2>/dev/null; then echo procsys=writable; else echo procsys=readonly; fi",
        "if touch /probe 2>/dev/null; then echo rootfs=writable; else echo rootfs=readonly; fi",
        'echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
        'echo "memsw=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null)"',
        'echo "cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"',
        "echo \"links=$(ls /sys/class/net | tr '\\n' ' ')\"",
        'while read l; do echo "mnt $l"; done < /proc/self/mountinfo',
      ].join("\n");
      result = await run("basic", script, {
        hostname: "shoal-box",
        network: { mode: "none" },
        readOnlyRootfs: true,
        resources: { memoryBytes: 64 * MiB, cpus: 0.5 },
      });
      out = fields(result.stdout);
    });

    it("exits 0 after running the script as PID 1 of its own namespace", () => {
      assert.equal(result.exitCode, 0, result.stderr);
      assert.equal(out.get("pid"), "1");
    });

    it("has the hostname of the spec, also in /etc/hostname", () => {
      assert.equal(out.get("hostname"), "shoal-box");
      assert.equal(out.get("etc-hostname"), "shoal-box");
    });

    it("sees only its own mounts, none of the host's", () => {
      const allowed = new Set([
        "/",
        ...result.config.mounts.map((m) => m.destination),
        ...result.config.linux.maskedPaths,
        ...result.config.linux.readonlyPaths,
      ]);
      const mounts = result.stdout
        .split("\n")
        .filter((l) => l.startsWith("mnt "))
        .map((l) => l.split(" "));
      assert.ok(mounts.length > 5, result.stdout);
      for (const m of mounts) {
        const point = m[5] ?? "";
        assert.ok(allowed.has(point) || point.startsWith("/sys/fs/cgroup/"), `host mount visible: ${m.join(" ")}`);
      }
      const rootMount = mounts.find((m) => m[5] === "/");
      const rootSource = rootMount?.[4] ?? "";
      // The mount's root within its filesystem: the rootfs path, or its tail when the temp dir is a mount itself.
      assert.ok(
        rootSource.includes("shoal-bundle-") && runner.rootfs.endsWith(rootSource),
        `root is not the image: ${rootMount?.join(" ")}`,
      );
    });

    it("has exactly Docker's default capabilities", () => assert.equal(out.get("capeff"), DOCKER_CAP_MASK));

    it("has the default open-files limit (capped by what the host allows)", () => {
      const nofile = Math.min(1048576, host.maxNofile ?? 1048576);
      assert.equal(out.get("nofile"), `${nofile}/${nofile}`);
    });

    it("hides the masked paths and cannot write /proc/sys", async () => {
      for (const p of masked) {
        const seen = out.get(`masked:${p}`);
        // A path the kernel does not have (no /proc/kcore without CONFIG_PROC_KCORE) is hidden already.
        const onHost = await fs.stat(p).then(
          () => true,
          () => false,
        );
        assert.ok(seen === "0" || (seen === "absent" && !onHost), `${p} is not masked: ${seen}`);
      }
      assert.equal(out.get("procsys"), "readonly");
    });

    it("refuses writes to its read-only root", () => assert.equal(out.get("rootfs"), "readonly"));

    it("runs under its memory limit and cpu quota", () => {
      assert.equal(out.get("memory"), String(64 * MiB));
      if (host.swapAccounting) assert.equal(out.get("memsw"), String(64 * MiB));
      assert.equal(out.get("cpu"), "50000/100000");
    });

    it("has only a loopback device with network none", () => assert.equal(out.get("links"), "lo "));
  });

  it("joins a network namespace by path, runs as the image's nobody, and stops forking at the pids limit", async () => {
    await execa("ip", ["netns", "add", netnsName]);
    runner.defer(() => execa("ip", ["netns", "delete", netnsName], { reject: false }));
    const nsPath = `/run/netns/${netnsName}`;
    const script = [
      'echo "netns=$(readlink /proc/self/ns/net)"',
      'echo "ids=$(id -u):$(id -g)"',
      // A child shell forks until the limit stops it; the loop bound only matters if the limit does not hold.
      "sh -c 'i=0; while [ $i -lt 50 ]; do sleep 30 & i=$((i+1)); done'",
      'echo "child=$?"',
      // `read` is a builtin: it needs no fork while the cgroup is full.
      'read max < /sys/fs/cgroup/pids/pids.max; echo "pids-max=$max"',
    ].join("\n");
    const r = await run("joined", script, {
      user: "nobody",
      network: { mode: "path", path: nsPath },
      resources: { pidsLimit: 6 },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const out = fields(r.stdout);
    assert.equal(out.get("netns"), `net:[${(await fs.stat(nsPath)).ino}]`);
    assert.equal(out.get("ids"), "65534:65534");
    assert.notEqual(out.get("child"), "0", "the pids limit let 50 processes start");
    assert.match(r.stderr, /can't fork/);
    assert.equal(out.get("pids-max"), "6");
  });

  it("shares the host's network and keeps the host's name with network host", async () => {
    const r = await run("hostnet", 'echo "netns=$(readlink /proc/self/ns/net)"; echo "hostname=$(hostname)"', {
      network: { mode: "host" },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    const out = fields(r.stdout);
    assert.equal(out.get("netns"), await fs.readlink("/proc/self/ns/net"));
    assert.equal(out.get("hostname"), os.hostname());
  });
});

import assert from "node:assert/strict";
import fs from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { execa } from "execa";
import { testdataPath } from "@shoal/common/testing";
import { rootSkip as rootSkipReason } from "../testing/runtime-fixture.js";
import type { ContainerSpec } from "../types.js";
import { openBundleRunner, outputFields, type BundleRunner } from "./runc-test-util.js";

/** Calls the default profile refuses with EPERM (the probe's list, but clone3). */
const REFUSED = [
  "unshare",
  "mount",
  "add_key",
  "keyctl",
  "bpf",
  "perf_event_open",
  "kexec_load",
  "open_by_handle_at",
  "clock_settime",
  "reboot",
];
/**
 * Those of them the kernel itself answers with another errno (or success) in a container with Docker's default
 * capabilities, given the probe's arguments: for these, EPERM proves the filter refused. Reboot checks its
 * capability first; kexec_load and open_by_handle_at do too on some kernels, so they are checked with
 * capabilities below.
 */
const KERNEL_SAYS_OTHERWISE = ["unshare", "mount", "add_key", "keyctl", "bpf", "perf_event_open", "clock_settime"];

// Runs busybox and a small C probe under runc with the configs buildOciConfig makes: proves the seccomp profile
// and no_new_privs hold in a real container, and that the opt-outs turn them off.
describe("the container sandbox under runc", { skip: rootSkipReason }, () => {
  let runner: BundleRunner;
  const probeDir = () => path.join(runner.work, "probe");
  const withProbe = (patch: Partial<ContainerSpec>): Partial<ContainerSpec> => ({
    ...patch,
    mounts: [{ type: "bind", source: probeDir(), target: "/probe", readOnly: true }],
  });

  before(async () => {
    runner = await openBundleRunner("shoal-sandbox");
    await fs.mkdir(probeDir(), { mode: 0o755 });
    await fs.chmod(probeDir(), 0o755);
    const probe = path.join(probeDir(), "probe");
    const source = testdataPath(import.meta.url, "testdata", "sandbox-probe.c");
    await execa("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-static", "-o", probe, source]);
    // A setuid-root copy: run by uid 1000 it has euid 0 unless no_new_privs stops the setuid bit.
    const setuid = path.join(probeDir(), "probe-setuid");
    await fs.copyFile(probe, setuid);
    await fs.chown(setuid, 0, 0);
    await fs.chmod(setuid, 0o4755);
  });

  after(() => runner.close());

  /** The probe's `name=errno` lines from a container `id` with `patch` applied. */
  async function probeSyscalls(id: string, patch: Partial<ContainerSpec> = {}): Promise<Map<string, string>> {
    const r = await runner.run(id, "", withProbe({ ...patch, cmd: ["/probe/probe", "syscalls"] }));
    assert.equal(r.exitCode, 0, `${r.stderr}\n${r.stdout}`);
    return outputFields(r.stdout);
  }

  async function status(id: string, patch: Partial<ContainerSpec> = {}): Promise<Map<string, string>> {
    const r = await runner.run(id, "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status | tr -d ' \\t' | tr : =", patch);
    assert.equal(r.exitCode, 0, r.stderr);
    return outputFields(r.stdout);
  }

  it("runs in seccomp filter mode with no_new_privs by default", async () => {
    const s = await status("status-default");
    assert.equal(s.get("Seccomp"), "2");
    assert.equal(s.get("NoNewPrivs"), "1");
  });

  it("runs without a filter when unconfined, and without no_new_privs when told", async () => {
    const unconfined = await status("status-unconfined", { seccomp: "unconfined" });
    assert.equal(unconfined.get("Seccomp"), "0");
    assert.equal(unconfined.get("NoNewPrivs"), "1");
    const mayGain = await status("status-nnp-off", { noNewPrivileges: false });
    assert.equal(mayGain.get("Seccomp"), "2");
    assert.equal(mayGain.get("NoNewPrivs"), "0");
  });

  describe("the probe's syscalls", () => {
    let confined: Map<string, string>;
    let unconfined: Map<string, string>;

    before(async () => {
      confined = await probeSyscalls("probe-default");
      unconfined = await probeSyscalls("probe-unconfined", { seccomp: "unconfined" });
    });

    it("are refused with EPERM, and clone3 with ENOSYS so libc falls back to clone", () => {
      for (const name of REFUSED) assert.equal(confined.get(name), "EPERM", `${name}: ${confined.get(name)}`);
      assert.equal(confined.get("clone3"), "ENOSYS");
    });

    it("reach the kernel, which answers otherwise, without the filter", () => {
      for (const name of KERNEL_SAYS_OTHERWISE) {
        const seen = unconfined.get(name);
        assert.ok(seen !== undefined && seen !== "EPERM", `${name} unconfined: ${seen}`);
      }
      assert.notEqual(unconfined.get("clone3"), "ENOSYS");
    });

    it("reach the kernel with the capability that opens them", async () => {
      const admin = await probeSyscalls("probe-admin", {
        capAdd: ["SYS_ADMIN", "SYS_BOOT", "SYS_TIME", "DAC_READ_SEARCH"],
      });
      for (const name of [
        "mount",
        "unshare",
        "bpf",
        "perf_event_open",
        "reboot",
        "clock_settime",
        "clone3",
        "open_by_handle_at",
      ]) {
        assert.equal(admin.get(name), unconfinedWith(name), `${name} with its capability: ${admin.get(name)}`);
      }
      // Never allowed, whatever the capabilities (the kernel would say EOPNOTSUPP, EFAULT, EINVAL or ENOSYS).
      for (const name of ["add_key", "keyctl", "kexec_load"]) assert.equal(admin.get(name), "EPERM", name);
    });

    /** What the kernel answers the probe's call when the filter lets it through and the capability is held. */
    function unconfinedWith(name: string): string | undefined {
      // The probe's arguments make these fail in the kernel after its capability check: NULL target, no reboot
      // magic, NULL time, no clone_args, NULL handle. The rest answer as they do unconfined without it.
      const afterCapCheck: Record<string, string> = {
        mount: "EFAULT",
        open_by_handle_at: "EFAULT",
        reboot: "EINVAL",
        clock_settime: "EFAULT",
        clone3: "EINVAL",
      };
      return afterCapCheck[name] ?? unconfined.get(name);
    }
  });

  it("does not give a setuid-root program's euid 0 to uid 1000, unless new privileges are allowed", async () => {
    const euid = async (id: string, patch: Partial<ContainerSpec>) => {
      const r = await runner.run(
        id,
        "",
        withProbe({ ...patch, user: "1000:1000", cmd: ["/probe/probe-setuid", "euid"] }),
      );
      assert.equal(r.exitCode, 0, r.stderr);
      return outputFields(r.stdout).get("euid");
    };
    assert.equal(await euid("setuid-default", {}), "1000");
    assert.equal(await euid("setuid-allowed", { noNewPrivileges: false }), "0");
  });
});

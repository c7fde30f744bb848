import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { ALL_CAPABILITIES, effectiveCapabilities } from "./capabilities.js";
import type { OciSeccomp, OciSeccompArg } from "./oci-config.js";
import { ENOSYS, EPERM, seccompProfile } from "./seccomp.js";

const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWNET = 0x40000000;
const SIGCHLD = 17;
const CLONE_THREAD_FLAGS = 0x3d0f00; // what glibc's pthread_create passes
const AF_INET = 2;
const AF_VSOCK = 40;
const ADDR_NO_RANDOMIZE = 0x0040000;

function holds(a: OciSeccompArg, args: readonly number[]): boolean {
  const x = args[a.index] ?? 0;
  switch (a.op) {
    case "SCMP_CMP_EQ":
      return x === a.value;
    case "SCMP_CMP_NE":
      return x !== a.value;
    case "SCMP_CMP_LT":
      return x < a.value;
    case "SCMP_CMP_LE":
      return x <= a.value;
    case "SCMP_CMP_GT":
      return x > a.value;
    case "SCMP_CMP_GE":
      return x >= a.value;
    case "SCMP_CMP_MASKED_EQ":
      return Number(BigInt(x) & BigInt(a.value)) === (a.valueTwo ?? 0);
  }
}

/**
 * What seccomp answers a call with, as libseccomp evaluates a profile: the action of a rule naming the syscall
 * whose argument comparisons all hold, else the default. "allow" or the errno.
 */
function outcome(profile: OciSeccomp, name: string, ...args: number[]): "allow" | number {
  for (const rule of profile.syscalls) {
    if (!rule.names.includes(name) || !(rule.args ?? []).every((a) => holds(a, args))) continue;
    return rule.action === "SCMP_ACT_ALLOW" ? "allow" : (rule.errnoRet ?? EPERM);
  }
  return profile.defaultErrnoRet ?? EPERM;
}

/** The profile for Docker's default capabilities with `add` added. */
const withCaps = (...add: string[]) => seccompProfile(effectiveCapabilities(add), "x64");

describe("seccompProfile", () => {
  const dflt = withCaps();

  it("refuses with EPERM by default and covers the x86 ABIs", () => {
    assert.equal(dflt.defaultAction, "SCMP_ACT_ERRNO");
    assert.equal(dflt.defaultErrnoRet, EPERM);
    assert.deepEqual(dflt.architectures, ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
  });

  const table: [caps: string[], call: string, args: number[], expected: "allow" | number][] = [
    // Docker's default capabilities: an ordinary process runs, the host's kernel stays out of reach.
    [[], "read", [], "allow"],
    [[], "execve", [], "allow"],
    [[], "ptrace", [], "allow"],
    [[], "chroot", [], "allow"],
    [[], "clone", [SIGCHLD], "allow"],
    [[], "clone", [CLONE_THREAD_FLAGS], "allow"],
    [[], "clone", [CLONE_NEWUSER | SIGCHLD], EPERM],
    [[], "clone", [CLONE_NEWNET], EPERM],
    [[], "clone3", [], ENOSYS],
    [[], "socket", [AF_INET], "allow"],
    [[], "socket", [AF_VSOCK], EPERM],
    [[], "personality", [0xffffffff], "allow"],
    [[], "personality", [0x8], "allow"],
    [[], "personality", [ADDR_NO_RANDOMIZE], EPERM],
    ...["mount", "umount2", "unshare", "setns", "kcmp", "pidfd_getfd", "process_madvise", "init_module"].map(
      (call): [string[], string, number[], number] => [[], call, [], EPERM],
    ),
    ...["clock_settime", "settimeofday", "reboot", "syslog", "acct", "bpf", "perf_event_open"].map(
      (call): [string[], string, number[], number] => [[], call, [], EPERM],
    ),
    ...["open_by_handle_at", "add_key", "keyctl", "kexec_load", "userfaultfd", "io_uring_setup", "iopl"].map(
      (call): [string[], string, number[], number] => [[], call, [], EPERM],
    ),
    // Each capability opens its own group and nothing else.
    [["SYS_ADMIN"], "mount", [], "allow"],
    [["SYS_ADMIN"], "umount2", [], "allow"],
    [["SYS_ADMIN"], "unshare", [], "allow"],
    [["SYS_ADMIN"], "setns", [], "allow"],
    [["SYS_ADMIN"], "clone", [CLONE_NEWUSER | SIGCHLD], "allow"],
    [["SYS_ADMIN"], "clone3", [], "allow"],
    [["SYS_ADMIN"], "bpf", [], "allow"],
    [["SYS_ADMIN"], "perf_event_open", [], "allow"],
    [["SYS_ADMIN"], "kcmp", [], EPERM],
    [["SYS_ADMIN"], "keyctl", [], EPERM],
    [["SYS_PTRACE"], "kcmp", [], "allow"],
    [["SYS_PTRACE"], "pidfd_getfd", [], "allow"],
    [["SYS_PTRACE"], "process_madvise", [], "allow"],
    [["SYS_PTRACE"], "mount", [], EPERM],
    [["SYS_MODULE"], "finit_module", [], "allow"],
    [["SYS_MODULE"], "delete_module", [], "allow"],
    [["SYS_TIME"], "clock_settime", [], "allow"],
    [["SYS_TIME"], "settimeofday", [], "allow"],
    [["SYS_BOOT"], "reboot", [], "allow"],
    [["SYS_BOOT"], "kexec_load", [], EPERM],
    [["SYSLOG"], "syslog", [], "allow"],
    [["SYS_PACCT"], "acct", [], "allow"],
    [["BPF"], "bpf", [], "allow"],
    [["BPF"], "perf_event_open", [], EPERM],
    [["PERFMON"], "perf_event_open", [], "allow"],
    [["DAC_READ_SEARCH"], "open_by_handle_at", [], "allow"],
    [["SYS_RAWIO"], "iopl", [], "allow"],
    [["SYS_NICE"], "mbind", [], "allow"],
    // Every capability still leaves out what is never safe.
    [["ALL"], "add_key", [], EPERM],
    [["ALL"], "keyctl", [], EPERM],
    [["ALL"], "kexec_load", [], EPERM],
    [["ALL"], "userfaultfd", [], EPERM],
    [["ALL"], "socket", [AF_VSOCK], EPERM],
    [["ALL"], "personality", [ADDR_NO_RANDOMIZE], EPERM],
  ];
  for (const [caps, call, args, expected] of table) {
    const argText = args.map((a) => `0x${a.toString(16)}`).join(", ");
    it(`with ${caps.length === 0 ? "the default capabilities" : `+${caps.join("+")}`}: ${call}(${argText}) -> ${expected === "allow" ? "allowed" : `errno ${expected}`}`, () => {
      assert.equal(outcome(withCaps(...caps), call, ...args), expected);
    });
  }

  it("takes capabilities with or without the CAP_ prefix", () => {
    assert.deepEqual(seccompProfile(["SYS_ADMIN"], "x64"), seccompProfile(["CAP_SYS_ADMIN"], "x64"));
  });

  it("refuses chroot once CAP_SYS_CHROOT is dropped", () => {
    assert.equal(outcome(seccompProfile(effectiveCapabilities([], ["SYS_CHROOT"]), "x64"), "chroot"), EPERM);
  });

  it("names each syscall in one rule or one group of alternatives, never under two actions", () => {
    for (const caps of [[], ALL_CAPABILITIES.map((c) => `CAP_${c}`)]) {
      const actions = new Map<string, Set<string>>();
      for (const rule of seccompProfile(caps, "x64").syscalls) {
        for (const n of rule.names) actions.set(n, (actions.get(n) ?? new Set()).add(rule.action));
      }
      for (const [name, set] of actions) assert.equal(set.size, 1, `${name} has actions ${[...set].join(", ")}`);
    }
  });

  it("has the ARM ABIs and ARM-only calls on arm64, and no x86-only ones", () => {
    const arm = seccompProfile(effectiveCapabilities(), "arm64");
    assert.deepEqual(arm.architectures, ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]);
    assert.equal(outcome(arm, "set_tls"), "allow");
    assert.equal(outcome(arm, "arch_prctl"), EPERM);
    assert.equal(outcome(dflt, "arch_prctl"), "allow");
    assert.equal(outcome(dflt, "set_tls"), EPERM);
  });

  it("refuses an architecture it has no profile for", () => {
    assert.throws(
      () => seccompProfile([], "riscv64"),
      (e: unknown) => e instanceof InvalidSpecError && e.field === "seccomp" && /"unconfined"/.test(e.message),
    );
  });
});

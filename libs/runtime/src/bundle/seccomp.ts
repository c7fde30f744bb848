import { InvalidSpecError } from "../errors.js";
import type { OciSeccomp, OciSyscallRule } from "./oci-config.js";
import { SYSCALLS } from "./syscalls.js";

/** errno values the profile answers with. */
export const EPERM = 1;
export const ENOSYS = 38;

/** AF_VSOCK: host and VM sockets, the one address family socket(2) refuses. */
export const AF_VSOCK = 40;

/**
 * The namespace flags of clone(2) (CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET). Without
 * CAP_SYS_ADMIN clone is allowed only when none of them is set. CLONE_NEWTIME is left out: its bit is part of
 * the exit-signal byte of clone and only unshare and clone3 take it.
 */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/**
 * The personality(2) values allowed: PER_LINUX, PER_LINUX32, UNAME26 and UNAME26|PER_LINUX32, and 0xffffffff,
 * which only queries. Others change the ABI or turn off address-space randomization (ADDR_NO_RANDOMIZE).
 */
export const SAFE_PERSONALITIES: readonly number[] = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/** The seccomp architectures of each CPU Shoal runs on (Node's `process.arch`), native first. */
const ARCHITECTURES: Readonly<Record<string, { family: "x86" | "arm"; scmp: readonly string[] }>> = {
  x64: { family: "x86", scmp: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
  arm64: { family: "arm", scmp: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] },
};

/** The rules of a `filtered` syscall when the container lacks the capabilities that allow it outright. */
function filterRules(name: string): OciSyscallRule[] {
  switch (name) {
    case "clone":
      return [
        {
          names: ["clone"],
          action: "SCMP_ACT_ALLOW",
          args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
        },
      ];
    case "clone3":
      return [{ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: ENOSYS }];
    case "personality":
      // Rules for one syscall are alternatives: any one matching allows the call.
      return SAFE_PERSONALITIES.map((value) => ({
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value, op: "SCMP_CMP_EQ" }],
      }));
    case "socket":
      return [
        { names: ["socket"], action: "SCMP_ACT_ALLOW", args: [{ index: 0, value: AF_VSOCK, op: "SCMP_CMP_NE" }] },
      ];
    default:
      throw new Error(`runtime: syscall ${name} is classified as filtered but has no filter`);
  }
}

/**
 * The default seccomp profile of a container with these capabilities (`CAP_*` names, as effectiveCapabilities
 * gives them, or bare) on CPU `arch` (Node's `process.arch`): every call not allowed fails with EPERM; the
 * allowlist is the syscall table's `allow` entries plus the `cap` entries a held capability opens; clone,
 * personality and socket are allowed with argument filters, clone3 answers ENOSYS (both allowed outright with
 * CAP_SYS_ADMIN). Pure. Throws InvalidSpecError (field `seccomp`) for an architecture it has no profile for.
 */
export function seccompProfile(capabilities: readonly string[], arch: string): OciSeccomp {
  const target = Object.hasOwn(ARCHITECTURES, arch) ? ARCHITECTURES[arch] : undefined;
  if (target === undefined) {
    throw new InvalidSpecError(
      "seccomp",
      `there is no default seccomp profile for CPU architecture ${JSON.stringify(arch)} (only ${Object.keys(ARCHITECTURES).join(", ")}); set seccomp to "unconfined"`,
    );
  }
  const held = new Set(capabilities.map((c) => c.toUpperCase().replace(/^CAP_/, "")));
  const holdsAny = (caps: readonly string[]) => caps.some((c) => held.has(c));
  const allowed: string[] = [];
  const filtered: OciSyscallRule[] = [];
  for (const [name, cls] of SYSCALLS) {
    if (cls.arch !== undefined && cls.arch !== target.family) continue;
    if (cls.kind === "allow" || (cls.kind === "cap" && holdsAny(cls.caps))) allowed.push(name);
    else if (cls.kind === "filtered") {
      if (holdsAny(cls.caps)) allowed.push(name);
      else filtered.push(...filterRules(name));
    }
  }
  return {
    defaultAction: "SCMP_ACT_ERRNO",
    defaultErrnoRet: EPERM,
    architectures: [...target.scmp],
    syscalls: [{ names: allowed.sort(), action: "SCMP_ACT_ALLOW" }, ...filtered],
  };
}

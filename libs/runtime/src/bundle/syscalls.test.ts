import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { SYSCALLS, duplicateSyscallNames } from "./syscalls.js";

/** The kernel's x86 syscall headers (linux-libc-dev): 64-bit, 32-bit and x32, the ABIs the x64 profile covers. */
const HEADER_DIR = "/usr/include/x86_64-linux-gnu/asm";
const HEADERS = ["unistd_64.h", "unistd_32.h", "unistd_x32.h"];

/** The syscall names a unistd header defines (`#define __NR_name number`). */
function headerSyscalls(text: string): string[] {
  return [...text.matchAll(/^#define __NR_(\w+)\s+(?:\(__X32_SYSCALL_BIT \+ )?\d+\)?\s*$/gm)].map((m) => m[1] ?? "");
}

/** The names of `header` the table does not classify for x86. */
function unclassified(header: string): string[] {
  return headerSyscalls(header).filter((name) => {
    const cls = SYSCALLS.get(name);
    return cls === undefined || cls.arch === "arm";
  });
}

describe("syscall table", () => {
  it("lists each syscall once, with a reason", () => {
    assert.deepEqual(duplicateSyscallNames(), []);
    for (const [name, cls] of SYSCALLS) assert.ok(cls.reason.length > 10, `${name} has no reason`);
  });

  it("finds a syscall a header adds that the table does not classify", () => {
    const header =
      "#define __NR_read 0\n#define __NR_frobnicate 999\n#define __NR_futex_waitv (__X32_SYSCALL_BIT + 449)\n";
    assert.deepEqual(headerSyscalls(header), ["read", "frobnicate", "futex_waitv"]);
    assert.deepEqual(unclassified(header), ["frobnicate"]);
  });

  // A new kernel's header forces a decision here: allow, gate on a capability, or deny.
  it(
    "classifies every syscall of this machine's kernel headers",
    { skip: process.arch !== "x64" && "x86 headers only" },
    async () => {
      for (const file of HEADERS) {
        const text = await readFile(`${HEADER_DIR}/${file}`, "utf8").catch((e: unknown) => {
          throw new Error(`cannot read ${HEADER_DIR}/${file}: install linux-libc-dev (scripts/setup.sh does)`, {
            cause: e,
          });
        });
        assert.ok(headerSyscalls(text).length > 300, `${file} lists too few syscalls to be a kernel header`);
        const missing = unclassified(text);
        assert.deepEqual(
          missing,
          [],
          `${file} has syscalls libs/runtime/src/bundle/syscalls.ts does not classify: ${missing.join(", ")}`,
        );
      }
    },
  );
});

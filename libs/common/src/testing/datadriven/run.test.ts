import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { DatadrivenError, DatadrivenMismatchError } from "./errors.js";
import { runFile } from "./run.js";
import type { TestData } from "./test-data.js";
import { testdataPath, walkFiles } from "./walk-files.js";

/** Runs `fn` with a fresh temp dir, removed afterwards even when `fn` throws. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "datadriven-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A tiny stateful handler: `add n=<int>` adds to a counter and prints it; `echo` prints its input. */
function counter(): (td: TestData) => string {
  let total = 0;
  return (td) => {
    switch (td.cmd) {
      case "add":
        total += td.int("n");
        return `total=${total}`;
      case "echo":
        return td.input;
      case "boom":
        throw new Error("node 3 is not in the cluster");
      default:
        return td.fail(`unknown command`);
    }
  };
}

const PASSING =
  "# counter\nadd n=2\n----\ntotal=2\n\nadd n=3\n----\ntotal=5\n\necho\nline 1\n\nline 3\n----\n----\nline 1\n\nline 3\n----\n----\n";

void test("runFile: a passing file runs every directive in order", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "pass.txt");
    await writeFile(path, PASSING);
    const result = await runFile(path, counter(), { rewrite: false });
    assert.deepEqual(result, { path, directives: 3, rewritten: false });
    assert.equal(await readFile(path, "utf8"), PASSING);
  });
});

void test("runFile: a mismatch names file:line and the command, shows a diff, and stops there", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "fail.txt");
    await writeFile(path, "add n=1\n----\ntotal=1\n\nadd n=1\n----\ntotal=3\nextra\n\nadd n=x\n----\nnever runs\n");
    const err = await runFile(path, counter(), { rewrite: false }).then(
      () => assert.fail("a stale expected output passed"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DatadrivenMismatchError, String(err));
    assert.equal(err.pos.endsWith("fail.txt:5"), true, err.pos);
    assert.equal(err.expected, "total=3\nextra\n");
    assert.equal(err.actual, "total=2\n");
    assert.match(err.message, /^datadriven: \S*fail\.txt:5: output of "add n=1" does not match the expected output\n/);
    assert.ok(
      err.message.includes("--- expected\n+++ actual\n@@ -1,2 +1 @@\n-total=3\n-extra\n+total=2\n"),
      err.message,
    );
    assert.match(err.message, /SHOAL_REWRITE=1/);
  });
});

void test("runFile: a handler that throws fails with file:line and the error; the file is untouched", async () => {
  for (const rewrite of [false, true]) {
    await withTempDir(async (dir) => {
      const path = join(dir, "boom.txt");
      // When rewriting, the stale first output must not be written either.
      const text = `add n=1\n----\n${rewrite ? "stale" : "total=1"}\n\nboom now\n----\nold\n`;
      await writeFile(path, text);
      const err = await runFile(path, counter(), { rewrite }).then(
        () => assert.fail("no error"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof DatadrivenError, String(err));
      assert.match(err.message, /boom\.txt:5: "boom now" failed: node 3 is not in the cluster$/);
      assert.ok(err.cause instanceof Error);
      assert.equal(await readFile(path, "utf8"), text, "nothing is written when a handler fails");
    });
  }
});

void test("runFile: a handler's own td.fail keeps its message; a non-string return is an error", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bad.txt");
    await writeFile(path, "\nfrobnicate\n----\n");
    await assert.rejects(
      runFile(path, counter(), { rewrite: false }),
      /^DatadrivenError: datadriven: \S*bad\.txt:2: frobnicate: unknown command$/,
    );
    const undef = (() => undefined) as unknown as () => string;
    await assert.rejects(
      runFile(path, undef, { rewrite: false }),
      /bad\.txt:2: "frobnicate": the handler returned undefined, not a string/,
    );
  });
});

void test("walkFiles lists *.txt files sorted, recursing and skipping hidden ones", async () => {
  await withTempDir(async (dir) => {
    await mkdir(join(dir, "sub"));
    for (const f of ["b.txt", "a.txt", "notes.md", ".a.txt.swp", ".hidden.txt", "sub/c.txt"])
      await writeFile(join(dir, f), "");
    assert.deepEqual(
      walkFiles(dir),
      ["a.txt", "b.txt", "sub/c.txt"].map((f) => join(dir, f)),
    );
  });
});

void test("testdataPath maps a compiled module's dist directory to src", () => {
  const from = (p: string): string => testdataPath(pathToFileURL(p).href, "testdata");
  assert.equal(from("/w/libs/common/dist/testing/x.test.js"), "/w/libs/common/src/testing/testdata");
  assert.equal(from("/w/libs/common/src/testing/x.test.ts"), "/w/libs/common/src/testing/testdata");
});

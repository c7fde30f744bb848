import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseScenario } from "./parse-file.js";
import { runFile } from "./run.js";
import type { TestData } from "./test-data.js";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "datadriven-rw-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A handler printing `outputs[id]` for `out id=<id>`. */
const table =
  (outputs: Record<string, string>) =>
  (td: TestData): string =>
    outputs[td.str("id")] ?? td.fail("no such id");

const BEFORE = [
  "# Leading comment, kept.",
  "",
  "out id=fresh",
  "----",
  "same",
  "",
  "   # indented comment",
  "out id=stale  extra=(1, 2)",
  "input line",
  "----",
  "old output",
  "more old",
  "",
  "",
  "out id=grows",
  "----",
  "one",
  "",
  "out id=shrinks",
  "----",
  "----",
  "a",
  "",
  "b",
  "----",
  "----",
  "out id=keptdouble",
  "----",
  "----",
  "no blank lines here",
  "----",
  "----",
  "",
  "out id=empty",
  "----",
  "was here",
  "",
  "out id=noblock",
].join("\n");

const OUTPUTS = {
  fresh: "same",
  stale: "new output\n\n\n",
  grows: "one\n\ntwo",
  shrinks: "ab",
  keptdouble: "no blank lines here\n",
  empty: "\n",
  noblock: "appended",
};

const AFTER = [
  "# Leading comment, kept.",
  "",
  "out id=fresh",
  "----",
  "same",
  "",
  "   # indented comment",
  "out id=stale  extra=(1, 2)",
  "input line",
  "----",
  "new output",
  "",
  "",
  "out id=grows",
  "----",
  "----",
  "one",
  "",
  "two",
  "----",
  "----",
  "",
  "out id=shrinks",
  "----",
  "ab",
  "", // inserted: a single-separator output must end at a blank line
  "out id=keptdouble",
  "----",
  "----",
  "no blank lines here",
  "----",
  "----",
  "",
  "out id=empty",
  "----",
  "",
  "out id=noblock",
  "----",
  "appended",
  "",
].join("\n");

void test("rewrite: stale outputs are replaced, everything else is kept byte for byte, and it is idempotent", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "s.txt");
    await writeFile(path, BEFORE);
    const first = await runFile(path, table(OUTPUTS), { rewrite: true });
    assert.deepEqual(first, { path, directives: 7, rewritten: true });
    assert.equal(await readFile(path, "utf8"), AFTER);

    const again = await runFile(path, table(OUTPUTS), { rewrite: true });
    assert.equal(again.rewritten, false);
    assert.equal(await readFile(path, "utf8"), AFTER);
    // And the rewritten file passes when compared.
    assert.equal((await runFile(path, table(OUTPUTS), { rewrite: false })).directives, 7);
  });
});

void test("rewrite: SHOAL_REWRITE=1 turns it on; an up-to-date file is left byte-identical", async () => {
  const saved = process.env["SHOAL_REWRITE"];
  await withTempDir(async (dir) => {
    const path = join(dir, "env.txt");
    try {
      process.env["SHOAL_REWRITE"] = "1";
      await writeFile(path, "out id=a\n----\nstale\n");
      await runFile(path, table({ a: "fresh" }));
      assert.equal(await readFile(path, "utf8"), "out id=a\n----\nfresh\n");

      // Up to date, in every form a reader may have left it (no final newline, double form without need).
      await writeFile(path, AFTER.slice(0, -1));
      assert.equal((await runFile(path, table(OUTPUTS))).rewritten, false);
      assert.equal(await readFile(path, "utf8"), AFTER.slice(0, -1));
    } finally {
      if (saved === undefined) delete process.env["SHOAL_REWRITE"];
      else process.env["SHOAL_REWRITE"] = saved;
    }
    process.env["SHOAL_REWRITE"] = "0";
    try {
      await assert.rejects(runFile(path, table({ ...OUTPUTS, fresh: "changed" })), /does not match/);
    } finally {
      if (saved === undefined) delete process.env["SHOAL_REWRITE"];
      else process.env["SHOAL_REWRITE"] = saved;
    }
  });
});

void test("rewrite: outputs with blank lines round-trip through the double separator", async () => {
  const tricky: Record<string, string> = {
    middle: "a\n\nb\n",
    leading: "\nafter a blank line",
    spaces: "a\n   \nb",
    dashes: "----\nstarts with dashes",
    inner: "x\n----\ny",
    blankAndDashes: "x\n\n----\ny",
    trailing: "ends\n\n\n\n",
    nothing: "",
  };
  await withTempDir(async (dir) => {
    const path = join(dir, "blank.txt");
    await writeFile(
      path,
      Object.keys(tricky)
        .map((id) => `out id=${id}\n----\n`)
        .join("\n"),
    );
    await runFile(path, table(tricky), { rewrite: true });
    const text = await readFile(path, "utf8");
    const read = parseScenario(text, "blank.txt").map((d) => d.expected);
    const want = Object.values(tricky).map((o) => (o.replace(/\n+$/, "") === "" ? "" : `${o.replace(/\n+$/, "")}\n`));
    assert.deepEqual(read, want);
    assert.match(text, /out id=middle\n----\n----\na\n\nb\n----\n----\n/);
    await runFile(path, table(tricky), { rewrite: false });
    await runFile(path, table(tricky), { rewrite: true });
    assert.equal(await readFile(path, "utf8"), text);
  });
});

void test("rewrite: an output that cannot be written back is an error and the file is untouched", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "bad.txt");
    await writeFile(path, "out id=a\n----\nold\n");
    await assert.rejects(
      runFile(path, table({ a: "x\n\n----\n----\ny" }), { rewrite: true }),
      /bad\.txt:1: cannot write this output/,
    );
    assert.equal(await readFile(path, "utf8"), "out id=a\n----\nold\n");
  });
});

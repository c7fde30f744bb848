import assert from "node:assert/strict";
import { test } from "node:test";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { datadrivenTest, DatadrivenMismatchError, runFile, testdataPath } from "@shoal/common/testing";
import { schedulerScenarioHandler } from "../testing/scheduler-scenario.js";

/**
 * The scheduler's scenario scripts: every `testdata/*.txt` file runs through a scheduler scenario, one test per
 * file. Rewrite expected outputs with `SHOAL_REWRITE=1`, then review the diff against what the scheduler must
 * do: the expected output is the specification, not a recording.
 */
const TESTDATA = testdataPath(import.meta.url, "testdata");
datadrivenTest(TESTDATA, schedulerScenarioHandler);

test("a scenario whose expected placement is wrong fails with a diff, and rewrite mode restores the right one", async () => {
  const dir = await mkdtemp(join(tmpdir(), "scheduler-scenario-"));
  try {
    const path = join(dir, "spread.txt");
    await copyFile(join(TESTDATA, "spread.txt"), path);
    const right = await readFile(path, "utf8");
    const wrong = right.replace("web.2 -> b", "web.2 -> a");
    assert.notEqual(wrong, right, "the scenario places web.2 on b");
    await writeFile(path, wrong);
    const err = await runFile(path, schedulerScenarioHandler(), { rewrite: false }).then(
      () => assert.fail("a wrong expectation passed"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DatadrivenMismatchError, String(err));
    assert.match(err.diff, /^-web\.2 -> a$/m);
    assert.match(err.diff, /^\+web\.2 -> b$/m);
    assert.equal((await runFile(path, schedulerScenarioHandler(), { rewrite: true })).rewritten, true);
    assert.equal(await readFile(path, "utf8"), right);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

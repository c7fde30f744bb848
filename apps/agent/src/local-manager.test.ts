import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { shouldStartManager } from "./local-manager.js";

test("a promotion starts a manager where none ran or a removed one left its state, never over a crashed one", (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "shoal-local-manager-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(shouldStartManager(dir), true, "a worker's data dir");
  mkdirSync(path.join(dir, "manager"));
  writeFileSync(path.join(dir, "manager", "manager.json"), "{}");
  assert.equal(shouldStartManager(dir), false, "a manager's state that was not removed: it is restarted, not replaced");
  writeFileSync(path.join(dir, "manager", "removed.json"), "{}");
  assert.equal(shouldStartManager(dir), true, "a removed manager's state");
  writeFileSync(path.join(dir, "manager.pid"), "999999999\n");
  assert.equal(shouldStartManager(dir), true, "a pid file of a process that is gone does not count");
});

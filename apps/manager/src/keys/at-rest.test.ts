import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { StorageKeyError } from "@shoal/raft";
import { ManagerStartError, startManager, type RunningManager } from "../manager.js";
import { pollUntil, serviceSpec } from "../testing/fixtures.js";
import { managerOptions } from "../testing/manager-options.js";
import { managerClient } from "../testing/manager-client.js";
import { KEYS_FILE } from "./keystore.js";
import { filesHolding } from "../testing/files-holding.js";

// Encryption at rest, end to end: what a manager keeps in its data dir holds no service spec in the clear.

test("no service spec in the clear in the manager's data dir: WAL and snapshots are sealed", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-at-rest-test-"));
  const running: RunningManager[] = [];
  t.after(async () => {
    for (const m of running) await m.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  // A quote and a backslash, so the JSON-escaped form differs from the raw one; the hex alone is also searched.
  const hex = randomBytes(16).toString("hex");
  const canary = `canary-${hex}"\\end`;
  const needles = [hex, canary, JSON.stringify(canary).slice(1, -1)];
  const o = { ...(await managerOptions(dataDir)), raftSnapshotEntries: 3 };
  const first = await startManager(o);
  running.push(first);
  const client = managerClient(t, dataDir, [first.apiAddr]);
  const spec = serviceSpec("web", {
    labels: { note: canary },
    taskTemplate: { container: { image: "busybox", env: [`SECRET=${canary}`] } },
  });
  await client.call("serviceCreate", { body: spec });
  const created = first.raft.status().applied;
  for (let i = 0; i < 4; i++) await client.call("serviceCreate", { body: serviceSpec(`filler-${i}`) });
  await pollUntil(() => first.raft.status().snapshotIndex >= created, "a snapshot that holds the service", 10_000);
  await first.stop();
  running.length = 0;
  const names = readdirSync(dataDir, { recursive: true, encoding: "utf8" });
  assert.ok(names.some((n) => n.endsWith(".snap")) && names.some((n) => n.endsWith(".wal")), names.join(" "));
  assert.deepEqual(filesHolding(dataDir, needles), []);

  // The control: the scan finds the canary where it is in the clear, in either form.
  writeFileSync(join(dataDir, "control.json"), JSON.stringify({ env: [canary] }));
  assert.equal(filesHolding(dataDir, needles).length, 2);
  rmSync(join(dataDir, "control.json"));

  // A restart reads the spec back through the key.
  const second = await startManager({ ...o, init: false });
  running.push(second);
  const again = await client.call("serviceInspect", { params: { ref: "web" } });
  assert.deepEqual(again.spec.taskTemplate.container.env, [`SECRET=${canary}`]);
  await second.stop();
  running.length = 0;
  assert.deepEqual(filesHolding(dataDir, needles), []);

  // Without its keys.json the manager refuses to start; with another manager's key too, naming both ids.
  const keys = join(dataDir, "manager", KEYS_FILE);
  const ownId = (JSON.parse(readFileSync(keys, "utf8")) as { dek: { id: string } }).dek.id;
  renameSync(keys, `${keys}.saved`);
  await assert.rejects(startManager({ ...o, init: false }), (e: unknown) => {
    assert.ok(e instanceof ManagerStartError);
    assert.match(e.message, new RegExp(`keys.json is missing, but .* sealed with data key ${ownId}`));
    return true;
  });
  const other = { version: 1, kek: null, dek: { id: "00112233aabbccdd", key: randomBytes(32).toString("base64") } };
  writeFileSync(keys, JSON.stringify(other), { mode: 0o600 });
  await assert.rejects(startManager({ ...o, init: false }), (e: unknown) => {
    assert.ok(e instanceof StorageKeyError, String(e));
    assert.match(e.message, new RegExp(`sealed with data key ${ownId}, but this member's key is 00112233aabbccdd`));
    return true;
  });
  renameSync(`${keys}.saved`, keys);
  const third = await startManager({ ...o, init: false });
  running.push(third);
  assert.equal((await client.call("serviceInspect", { params: { ref: "web" } })).id, again.id);
});

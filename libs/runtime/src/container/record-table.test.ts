import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { NotFoundError } from "../errors.js";
import { RuntimeLayout } from "./layout.js";
import { RecordTable } from "./record-table.js";
import { readRecord, type ContainerRecord } from "./record.js";
import { testRecord } from "./test-records.js";

function record(id: string, imageId: string, volumes: string[]): ContainerRecord {
  return testRecord(id, { imageId, volumes });
}

test("the table finds containers by id and names the users of an image or a volume", () => {
  const table = new RecordTable(new RuntimeLayout("/nonexistent/data", "/nonexistent/run"));
  table.set(record("a", "sha256:1", ["v1"]));
  table.set(record("b", "sha256:1", []));
  table.set(record("c", "sha256:2", ["v1", "v2"]));
  assert.equal(table.get("a").spec.id, "a");
  assert.throws(() => table.get("zz"), NotFoundError);
  assert.equal(table.find("zz"), undefined);
  assert.deepEqual(table.ids(), ["a", "b", "c"]);
  assert.deepEqual(table.usersOfImage("sha256:1"), ["a", "b"]);
  assert.deepEqual(table.usersOfVolume("v1"), ["a", "c"]);
  table.delete("a");
  assert.equal(table.has("a"), false);
  assert.deepEqual(table.usersOfVolume("v1"), ["c"]);
});

test("persist writes the record's file before the table changes; a failed write leaves the old record", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-records-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const layout = new RuntimeLayout(join(dir, "data"), join(dir, "run"));
  const table = new RecordTable(layout);
  mkdirSync(layout.container("a"), { recursive: true });
  const created = record("a", "sha256:1", []);
  await table.persist(created);
  assert.deepEqual(await readRecord(layout.record("a")), created);
  // No bundle dir for "b": the write fails and the table keeps what it had.
  await assert.rejects(table.persist(record("b", "sha256:1", [])));
  assert.equal(table.has("b"), false);
  rmSync(layout.container("a"), { recursive: true });
  await assert.rejects(table.persist({ ...created, status: "running" }));
  assert.equal(table.get("a").status, "created");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { chunkEntries } from "./log-streams.js";

const entry = (line: string) => ({ time: "2026-01-01T00:00:00.000000000Z", stream: "stdout" as const, line });

test("log chunks: entries are grouped under the size limit, and a long line is cut into pieces", () => {
  const many = Array.from({ length: 2_000 }, (_, i) => entry(`line ${i} ${"x".repeat(100)}\n`));
  const groups = chunkEntries(many);
  assert.ok(groups.length > 1);
  for (const g of groups)
    assert.ok(Buffer.byteLength(JSON.stringify({ streamId: "s", entries: g, end: false })) <= 64 * 1024);
  assert.deepEqual(groups.flat(), many, "nothing lost or reordered");

  const long = 'é"'.repeat(100_000);
  const pieces = chunkEntries([entry(long)]);
  for (const g of pieces)
    assert.ok(Buffer.byteLength(JSON.stringify({ streamId: "s", entries: g, end: false })) <= 64 * 1024);
  assert.equal(
    pieces
      .flat()
      .map((e) => e.line)
      .join(""),
    long,
  );
  assert.deepEqual(chunkEntries([]), []);
});

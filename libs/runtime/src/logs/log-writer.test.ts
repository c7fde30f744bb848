import assert from "node:assert/strict";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvalidSpecError, InvalidStateError } from "../errors.js";
import {
  LOG_FILE_NAME,
  MAX_LINE_BYTES,
  decodeLogLine,
  formatLogTime,
  parseLogTimeNs,
  parseSince,
} from "./log-format.js";
import { LogWriter } from "./log-writer.js";
import { stepClock, tempDir } from "./log-test-util.js";

async function entries(file: string) {
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => decodeLogLine(l));
}

describe("log format", () => {
  it("writes RFC 3339 UTC times with nine fraction digits and parses any precision back", () => {
    const ns = BigInt(Date.UTC(2026, 10, 23, 10)) * 1_000_000n + 123_456_789n;
    assert.equal(formatLogTime(ns), "2026-11-23T10:00:00.123456789Z");
    assert.equal(parseLogTimeNs("2026-11-23T10:00:00.123456789Z"), ns);
    assert.equal(parseLogTimeNs("2026-11-23T11:00:00.123456789+01:00"), ns);
    assert.equal(parseLogTimeNs("2026-11-23T10:00:00.1Z"), ns - 23_456_789n);
    assert.equal(parseSince(Date.UTC(2026, 10, 23, 10) + 0.5), ns - 123_456_789n + 500_000n);
    assert.throws(
      () => parseSince("yesterday"),
      (err: unknown) => err instanceof InvalidSpecError && err.field === "since",
    );
  });
});

describe("LogWriter", () => {
  it("rotates before the live file would pass maxSizeBytes, keeping maxFiles files, oldest dropped", async (t) => {
    const dir = await tempDir(t);
    const w = await LogWriter.open(dir, { maxSizeBytes: 1000, maxFiles: 3, now: stepClock() });
    // Each entry is 80 bytes: 12 fit in a file.
    for (let i = 0; i < 100; i++) await w.write(i % 2 ? "stderr" : "stdout", `line ${String(i).padStart(4, "0")}\n`);
    await w.close();
    assert.deepEqual((await readdir(dir)).sort(), [LOG_FILE_NAME, `${LOG_FILE_NAME}.1`, `${LOG_FILE_NAME}.2`]);
    const files = [`${LOG_FILE_NAME}.2`, `${LOG_FILE_NAME}.1`, LOG_FILE_NAME];
    for (const f of files.slice(0, 2)) {
      const size = (await stat(join(dir, f))).size;
      assert.ok(size <= 1000 && size > 1000 - 80, `${f} is full but not past the limit: ${size}`);
    }
    const kept = (await Promise.all(files.map((f) => entries(join(dir, f))))).flat();
    // 100 entries = 8 full files of 12 plus 4: the last 28 survive.
    assert.deepEqual(
      kept.map((e) => e?.line),
      Array.from({ length: 28 }, (_, k) => `line ${String(72 + k).padStart(4, "0")}\n`),
    );
    assert.equal(kept[0]?.stream, "stdout");
    assert.equal(kept[1]?.stream, "stderr");
    assert.equal(kept[0]?.time, "2026-11-23T10:00:00.072000000Z");
  });

  it("appends to an existing live file and replaces it when maxFiles is 1", async (t) => {
    const dir = await tempDir(t);
    const existing = '{"log":"old\\n","stream":"stdout","time":"2026-11-23T09:00:00.000000000Z"}\n';
    await writeFile(join(dir, LOG_FILE_NAME), existing);
    const w = await LogWriter.open(dir, { maxSizeBytes: 150, maxFiles: 1, now: stepClock() });
    await w.write("stdout", "new\n");
    assert.deepEqual(
      (await entries(join(dir, LOG_FILE_NAME))).map((e) => e?.line),
      ["old\n", "new\n"],
    );
    await w.write("stdout", "newer\n");
    await w.close();
    assert.deepEqual(await readdir(dir), [LOG_FILE_NAME]);
    assert.deepEqual(
      (await entries(join(dir, LOG_FILE_NAME))).map((e) => e?.line),
      ["newer\n"],
    );
    await assert.rejects(w.write("stdout", "late\n"), InvalidStateError);
  });

  it("splits lines longer than 16 KiB into pieces, only the last with a newline, and holds partial lines", async (t) => {
    const dir = await tempDir(t);
    const w = await LogWriter.open(dir, { now: stepClock() });
    const long = "é".repeat(MAX_LINE_BYTES / 2 + 10) + "\n"; // 2 bytes each: the cut falls inside a character
    await w.write("stdout", long.slice(0, 100));
    await w.write("stderr", "partial");
    assert.equal((await stat(join(dir, LOG_FILE_NAME))).size, 0, "nothing complete yet");
    await w.write("stdout", Buffer.from(long.slice(100)));
    await w.close();
    const got = await entries(join(dir, LOG_FILE_NAME));
    assert.deepEqual(
      got.map((e) => [e?.stream, Buffer.byteLength(e?.line ?? ""), e?.line.endsWith("\n")]),
      [
        ["stdout", MAX_LINE_BYTES, false],
        ["stdout", 20 + 1, true],
        ["stderr", 7, false],
      ],
    );
    assert.equal(
      got
        .map((e) => e?.line)
        .slice(0, 2)
        .join(""),
      long,
      "no character was cut",
    );
  });

  it("refuses bad options, naming the field", async (t) => {
    const dir = await tempDir(t);
    for (const [options, field] of [
      [{ maxSizeBytes: 0 }, "log.maxSizeBytes"],
      [{ maxFiles: 0 }, "log.maxFiles"],
      [{ maxFiles: 1.5 }, "log.maxFiles"],
    ] as const) {
      await assert.rejects(
        LogWriter.open(dir, options),
        (err: unknown) => err instanceof InvalidSpecError && err.field === field,
      );
    }
    assert.deepEqual(await readdir(dir), [], "no file was created");
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import {
  decimalFlag,
  durationFlag,
  formatBinarySize,
  formatDuration,
  formatSize,
  humanDuration,
  intFlag,
  parseDurationMs,
  parseValidityMs,
  parseSizeBytes,
  sizeFlag,
} from "./units.js";

test("durations are read as Docker writes them", () => {
  const cases: [string, number | undefined][] = [
    ["500ms", 500],
    ["5s", 5_000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["2h3m4s", 7_384_000],
    ["0", 0],
    ["250us", 0],
    ["5", undefined],
    ["5x", undefined],
    ["", undefined],
    ["s", undefined],
  ];
  for (const [text, ms] of cases) assert.equal(parseDurationMs(text), ms, text);
});

test("certificate validities are durations, optionally after whole days", () => {
  const cases: [string, number | undefined][] = [
    ["90d", 90 * 86_400_000],
    ["1d12h", 36 * 3_600_000],
    ["8760h", 365 * 86_400_000],
    ["30m", 1_800_000],
    [" 2h ", 7_200_000],
    ["", undefined],
    ["d", undefined],
    ["1.5d", undefined],
    ["1y", undefined],
    ["1d1y", undefined],
    ["12", undefined],
  ];
  for (const [text, ms] of cases) assert.equal(parseValidityMs(text), ms, text);
});

test("sizes are read as Docker's --memory reads them (binary units)", () => {
  const cases: [string, number | undefined][] = [
    ["1048576", 1_048_576],
    ["64M", 64 * 1024 ** 2],
    ["64m", 64 * 1024 ** 2],
    ["1g", 1024 ** 3],
    ["512kb", 512 * 1024],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["10b", 10],
    ["64Q", undefined],
    ["M", undefined],
    ["-1", undefined],
  ];
  for (const [text, bytes] of cases) assert.equal(parseSizeBytes(text), bytes, text);
});

test("bad flag values are usage errors that name the flag and show the expected form", () => {
  assert.throws(
    () => durationFlag("restart-delay", "5"),
    (e: unknown) => e instanceof UsageError && /--restart-delay/.test(e.message) && /1m30s/.test(e.message),
  );
  assert.throws(
    () => sizeFlag("limit-memory", "lots"),
    (e: unknown) => e instanceof UsageError && /--limit-memory/.test(e.message) && /64M/.test(e.message),
  );
  assert.throws(
    () => intFlag("replicas", "-1"),
    (e: unknown) => e instanceof UsageError && /--replicas.*whole number/.test(e.message),
  );
  assert.throws(() => intFlag("replicas", "2.5"), UsageError);
  assert.throws(
    () => decimalFlag("limit-cpu", "half"),
    (e: unknown) => e instanceof UsageError && /--limit-cpu/.test(e.message),
  );
  assert.equal(decimalFlag("limit-cpu", "0.5"), 0.5);
  assert.equal(intFlag("replicas", "3"), 3);
});

test("durations and sizes print as people read them", () => {
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(500), "500ms");
  assert.equal(formatDuration(3_600_000), "1h0m0s");
  assert.equal(formatDuration(0), "0s");
  assert.equal(formatSize(4_400_000), "4.4MB");
  assert.equal(formatSize(512), "512B");
  assert.equal(formatBinarySize(64 * 1024 ** 2), "64MiB");
  assert.equal(humanDuration(300), "Less than a second");
  assert.equal(humanDuration(5_000), "5 seconds");
  assert.equal(humanDuration(65_000), "About a minute");
  assert.equal(humanDuration(3 * 3_600_000), "3 hours");
  assert.equal(humanDuration(3 * 86_400_000), "3 days");
});

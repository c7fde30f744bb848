import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CgroupError } from "../errors.js";
import {
  parseKeyedFile,
  parseV1CpuUsage,
  parseV1MemoryLimit,
  parseV1MemoryUsage,
  parseV1OomKillCount,
  parseV2CpuUsage,
  parseV2MemoryLimit,
  parseV2MemoryUsage,
  parseV2OomKillCount,
} from "./cgroup-parsers.js";

const GiB = 2 ** 30;

const V1_MEMORY_STAT = `cache 8388608
rss 20971520
mapped_file 0
inactive_file 1048576
hierarchical_memory_limit 268435456
total_cache 8388608
total_rss 20971520
total_inactive_file 4194304
total_active_file 4194304
`;

const V2_MEMORY_STAT = `anon 20971520
file 8388608
kernel 1032192
inactive_file 6291456
active_file 2097152
`;

describe("cgroup v1 parsers", () => {
  it("reads cpuacct.usage in ns", () => {
    assert.equal(parseV1CpuUsage("2976401640149\n"), 2976401640149);
  });

  it("subtracts total_inactive_file from usage, as Docker does, and never goes below zero", () => {
    assert.equal(parseV1MemoryUsage("33554432\n", V1_MEMORY_STAT), 33554432 - 4194304);
    assert.equal(parseV1MemoryUsage("1000\n", V1_MEMORY_STAT), 0);
    assert.equal(parseV1MemoryUsage("1000\n", "cache 0\n"), 1000, "no total_inactive_file: usage as is");
  });

  it("reports the host's memory when there is no limit", () => {
    assert.equal(parseV1MemoryLimit("9223372036854771712\n", 24 * GiB), 24 * GiB);
    assert.equal(parseV1MemoryLimit("268435456\n", 24 * GiB), 268435456);
    assert.equal(parseV1MemoryLimit(`${64 * GiB}\n`, 24 * GiB), 24 * GiB, "a limit above the host's memory");
  });

  it("reads oom_kill from memory.oom_control, 0 when the kernel lacks the field", () => {
    assert.equal(parseV1OomKillCount("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), 3);
    assert.equal(parseV1OomKillCount("oom_kill_disable 0\nunder_oom 0\n"), 0);
  });
});

describe("cgroup v2 parsers", () => {
  it("reads usage_usec from cpu.stat as ns", () => {
    assert.equal(parseV2CpuUsage("usage_usec 1234567\nuser_usec 1000000\nsystem_usec 234567\n"), 1234567000);
    assert.throws(() => parseV2CpuUsage("user_usec 1\n"), CgroupError);
  });

  it("subtracts inactive_file from memory.current", () => {
    assert.equal(parseV2MemoryUsage("33554432\n", V2_MEMORY_STAT), 33554432 - 6291456);
  });

  it("reads memory.max, `max` meaning the host's memory", () => {
    assert.equal(parseV2MemoryLimit("max\n", 24 * GiB), 24 * GiB);
    assert.equal(parseV2MemoryLimit("536870912\n", 24 * GiB), 536870912);
  });

  it("reads oom_kill from memory.events, 0 when missing", () => {
    assert.equal(parseV2OomKillCount("low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n"), 2);
    assert.equal(parseV2OomKillCount("low 0\nhigh 0\n"), 0);
  });
});

describe("parseKeyedFile", () => {
  for (const [name, text] of [
    ["a line without a value", "oom_kill\n"],
    ["a non-numeric value", "oom_kill many\n"],
    ["a line with three fields", "a 1 2\n"],
  ] as const) {
    it(`refuses ${name}, naming the file`, () => {
      assert.throws(
        () => parseKeyedFile(text, "memory.events"),
        (err: unknown) =>
          err instanceof CgroupError && err.path === "memory.events" && /memory\.events/.test(err.message),
      );
    });
  }
});

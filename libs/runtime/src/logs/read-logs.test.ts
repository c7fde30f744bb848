import assert from "node:assert/strict";
import { appendFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import type { LogEntry, LogReadOptions } from "../types.js";
import { LOG_FILE_NAME, formatLogTime } from "./log-format.js";
import { stepClock, tempDir } from "./log-test-util.js";
import { LogWriter } from "./log-writer.js";
import { readLogs } from "./read-logs.js";

const line = (i: number) => `line ${String(i).padStart(4, "0")}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => line(from + k));
const BASE_NS = BigInt(Date.UTC(2026, 10, 23, 10)) * 1_000_000n;

async function collect(dir: string, options: LogReadOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readLogs(dir, options, Promise.resolve())) out.push(e.line);
  return out;
}

/**
 * Follows `dir` in the background; `seen(n)` resolves once n entries arrived. After `pause()` the consumer stops
 * pulling after its next entry, leaving the reader suspended in the middle of a file, until `resume()`.
 */
function follower(dir: string, options: LogReadOptions, done: Promise<void>) {
  const got: LogEntry[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let gate: Promise<void> | undefined;
  let release = (): void => undefined;
  const finished = (async () => {
    for await (const e of readLogs(dir, { ...options, follow: true }, done)) {
      got.push(e);
      for (const w of waiters.filter((w) => got.length >= w.n)) w.resolve();
      if (gate !== undefined) await gate;
    }
  })();
  const seen = (n: number) =>
    got.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }));
  const pause = () => (gate = new Promise<void>((resolve) => (release = resolve)));
  const resume = () => {
    gate = undefined;
    release();
  };
  return { got, seen, finished, pause, resume };
}

/** 40 entries (entry i written at BASE + i ms) in 4 files of 1000 bytes, a malformed line and a torn last line. */
async function fixture(dir: string): Promise<void> {
  const w = await LogWriter.open(dir, { maxSizeBytes: 1000, maxFiles: 5, now: stepClock() });
  for (let i = 0; i < 20; i++) await w.write("stdout", line(i));
  await appendFile(join(dir, LOG_FILE_NAME), "not json\n");
  await w.write("stdout", lines(20, 40).join(""));
  await w.close();
  await appendFile(join(dir, LOG_FILE_NAME), '{"log":"torn');
}

describe("readLogs", () => {
  it("reads every file in order, skipping malformed lines and holding back a torn last line", async (t) => {
    const dir = await tempDir(t);
    await fixture(dir);
    assert.equal((await readdir(dir)).length, 4);
    assert.deepEqual(await collect(dir), lines(0, 40));
  });

  it("tails the last N entries across file boundaries and filters by since", async (t) => {
    const dir = await tempDir(t);
    await fixture(dir);
    assert.deepEqual(await collect(dir, { tail: 15 }), lines(25, 40));
    assert.deepEqual(await collect(dir, { tail: 33 }), lines(7, 40));
    assert.deepEqual(await collect(dir, { tail: 1000 }), lines(0, 40));
    assert.deepEqual(await collect(dir, { tail: 0 }), []);
    const since = formatLogTime(BASE_NS + 25_000_000n);
    assert.deepEqual(await collect(dir, { since }), lines(25, 40));
    assert.deepEqual(await collect(dir, { since: Date.UTC(2026, 10, 23, 10) + 35 }), lines(35, 40));
    assert.deepEqual(await collect(dir, { since, tail: 30 }), lines(25, 40), "since bounds the tail");
    assert.deepEqual(await collect(dir, { since, tail: 3 }), lines(37, 40));
  });

  it("refuses a bad tail or since, naming it", async (t) => {
    const dir = await tempDir(t);
    await assert.rejects(
      collect(dir, { tail: -1 }),
      (err: unknown) => err instanceof InvalidSpecError && err.field === "tail",
    );
    await assert.rejects(
      collect(dir, { since: "soon" }),
      (err: unknown) => err instanceof InvalidSpecError && err.field === "since",
    );
  });

  it("follows a writer through many rotations: every entry exactly once, in order, ending when done", async (t) => {
    const dir = await tempDir(t);
    const w = await LogWriter.open(dir, { maxSizeBytes: 1000, maxFiles: 3, now: stepClock() });
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const f = follower(dir, {}, done);
    let written = 0;
    // Stretches of up to 20 entries (at most 2 rotations, so no file is dropped before the reader reaches it),
    // written in one call or line by line. During every other stretch the reader is held mid-file, so the
    // files rotate under it, up to twice: it must finish the renamed file, then take the next newer one.
    for (let stretch = 0; stretch < 16; stretch++) {
      const n = 5 + ((stretch * 7) % 16);
      if (stretch % 2 === 1) f.pause();
      if (stretch % 3 === 0) await w.write("stdout", lines(written, written + n).join(""));
      else for (let i = written; i < written + n; i++) await w.write(i % 2 ? "stderr" : "stdout", line(i));
      written += n;
      f.resume();
      await f.seen(written);
    }
    await w.close();
    // A torn line completed later is emitted once, whole.
    await appendFile(join(dir, LOG_FILE_NAME), `{"log":"last\\n","stream":"stdout",`);
    await appendFile(join(dir, LOG_FILE_NAME), `"time":"${formatLogTime(BASE_NS + 999_000_000n)}"}\n`);
    finish();
    await f.finished;
    assert.ok(written > 150);
    assert.deepEqual(
      f.got.map((e) => e.line),
      [...lines(0, written), "last\n"],
    );
    assert.equal(f.got[5]?.stream, "stderr", "entries keep their stream");
  });

  it("follows from the tail: the last N entries, then new ones", async (t) => {
    const dir = await tempDir(t);
    const w = await LogWriter.open(dir, { maxSizeBytes: 1000, maxFiles: 3, now: stepClock() });
    t.after(() => w.close());
    await w.write("stdout", lines(0, 5).join(""));
    const ac = new AbortController();
    const f = follower(dir, { tail: 2, signal: ac.signal }, new Promise(() => undefined));
    await f.seen(2);
    await w.write("stdout", lines(5, 30).join(""));
    await f.seen(27);
    ac.abort();
    await f.finished;
    assert.deepEqual(
      f.got.map((e) => e.line),
      lines(3, 30),
    );
  });

  it("ends a follow cleanly when the signal aborts while it waits, also before any file exists", async (t) => {
    const dir = await tempDir(t);
    const ac = new AbortController();
    const f = follower(join(dir, "not-yet"), { signal: ac.signal }, new Promise(() => undefined));
    const empty = follower(dir, { signal: ac.signal }, new Promise(() => undefined));
    const w = await LogWriter.open(dir, { now: stepClock() });
    t.after(() => w.close());
    await w.write("stderr", "oops\n");
    await empty.seen(1);
    ac.abort();
    await f.finished;
    await empty.finished;
    assert.deepEqual(f.got, []);
    assert.deepEqual(
      empty.got.map((e) => [e.stream, e.line]),
      [["stderr", "oops\n"]],
    );
  });
});

// The sign-in's token bucket per source address: 10 failures, then refused until the bucket refills.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RateLimiter } from "./rate-limit.js";

const limiter = (o: { maxKeys?: number } = {}) => {
  let now = 0;
  const l = new RateLimiter({ capacity: 10, periodMs: 60_000, now: () => now, ...o });
  return { l, advance: (ms: number) => void (now += ms) };
};

test("ten failures in a row are allowed, the eleventh attempt waits for a token (6 s at 10 a minute)", () => {
  const { l, advance } = limiter();
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(l.check("10.0.0.1"), { ok: true }, `attempt ${i + 1}`);
    l.spend("10.0.0.1");
  }
  assert.deepEqual(l.check("10.0.0.1"), { ok: false, retryAfterMs: 6_000 });
  assert.deepEqual(l.check("10.0.0.2"), { ok: true }, "another address has its own bucket");
  advance(5_999);
  assert.equal(l.check("10.0.0.1").ok, false);
  advance(1);
  assert.deepEqual(l.check("10.0.0.1"), { ok: true }, "one token back after 6 s");
  l.spend("10.0.0.1");
  assert.equal(l.check("10.0.0.1").ok, false);
});

test("checking spends nothing, and a full minute refills the bucket but never past its size", () => {
  const { l, advance } = limiter();
  for (let i = 0; i < 100; i++) assert.equal(l.check("a").ok, true);
  for (let i = 0; i < 10; i++) l.spend("a");
  advance(10 * 60_000);
  for (let i = 0; i < 10; i++) {
    assert.equal(l.check("a").ok, true);
    l.spend("a");
  }
  assert.equal(l.check("a").ok, false, "ten tokens at most, however long it waited");
});

test("past maxKeys, full buckets are forgotten first, then the oldest used", () => {
  const { l, advance } = limiter({ maxKeys: 2 });
  l.spend("old");
  advance(60_000); // "old" is full again
  l.spend("b");
  l.spend("c");
  assert.equal(l.tracked, 2, "the full bucket went");
  l.spend("d");
  assert.equal(l.tracked, 2);
  for (let i = 0; i < 9; i++) l.spend("d");
  assert.equal(l.check("d").ok, false, "the newest is kept");
  assert.equal(l.check("b").ok, true, "the oldest was forgotten (a full bucket again)");
});

test("a limiter must allow at least one attempt in a positive period", () => {
  assert.throws(() => new RateLimiter({ capacity: 0, periodMs: 1, now: () => 0 }), RangeError);
  assert.throws(() => new RateLimiter({ capacity: 1, periodMs: 0, now: () => 0 }), RangeError);
});

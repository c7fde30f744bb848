// Secrets and ids: every base-36 character equally likely.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RandomBytes, newId, newSecret, randomBase36 } from "./ids.js";

/** A seeded byte source (mulberry32), so that a failing distribution replays. */
function seededBytes(seed: number): RandomBytes {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return (n) => Uint8Array.from({ length: n }, () => next() & 0xff);
}

/** Pearson's chi-square statistic of `text`'s character counts against a uniform base-36 distribution. */
function chiSquare(text: string): number {
  const counts = new Map<string, number>();
  for (const c of text) counts.set(c, (counts.get(c) ?? 0) + 1);
  const expected = text.length / 36;
  let sum = 0;
  for (const c of "0123456789abcdefghijklmnopqrstuvwxyz") sum += ((counts.get(c) ?? 0) - expected) ** 2 / expected;
  return sum;
}

/** Chi-square with 35 degrees of freedom: exceeded with probability 0.001 by a uniform source. */
const CHI2_35_P001 = 66.62;
/** The same, exceeded with probability 10^-6: for the system's source, which cannot be seeded to replay. */
const CHI2_35_P1E6 = 90.5;
const SAMPLE = 100_000;

describe("randomBase36", () => {
  it("uses each byte below 252 as its digit and skips the bytes 252-255", () => {
    const bytes = [252, 0, 253, 35, 254, 255, 36, 251, 71];
    let at = 0;
    const source: RandomBytes = (n) => Uint8Array.from({ length: n }, () => bytes[at++ % bytes.length] ?? 0);
    assert.equal(randomBase36(5, source), "0z0zz");
  });

  it("draws characters uniformly (chi-square over 10^5 characters)", () => {
    const seed = Number(process.env["SHOAL_TEST_SEED"] ?? 20261207);
    const chi2 = chiSquare(randomBase36(SAMPLE, seededBytes(seed)));
    assert.ok(chi2 < CHI2_35_P001, `chi-square ${chi2.toFixed(1)} >= ${CHI2_35_P001} (seed ${seed})`);
  });

  it("is what a plain modulo would not be: the test above detects the old bias", () => {
    const source = seededBytes(20261207);
    const biased = Array.from(source(SAMPLE), (b) => (b % 36).toString(36)).join("");
    assert.ok(chiSquare(biased) > CHI2_35_P1E6);
  });
});

describe("newSecret and newId", () => {
  it("draw uniform characters from the system's random source", () => {
    const text = Array.from({ length: SAMPLE / 50 }, () => newSecret(50)).join("");
    assert.equal(text.length, SAMPLE);
    assert.match(text, /^[0-9a-z]+$/);
    // Not seeded (the system's source), so a bound a uniform source exceeds once in a million runs.
    const chi2 = chiSquare(text);
    assert.ok(chi2 < CHI2_35_P1E6, `chi-square ${chi2.toFixed(1)} >= ${CHI2_35_P1E6} from crypto.randomBytes`);
  });

  it("keep their shapes: secrets of the length asked, ids of 25 characters that sort by time", () => {
    assert.equal(newSecret().length, 32);
    assert.equal(newSecret(40).length, 40);
    const first = newId(1_000);
    const second = newId(1_000);
    assert.match(first, /^[0-9a-z]{25}$/);
    assert.ok(first < second && second < newId(2_000));
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { mustRenewNow, nextRenewal } from "./renewal.js";

const FROM = new Date("2026-01-01T00:00:00Z");
const TO = new Date("2026-01-11T00:00:00Z"); // 10 days
const at = (days: number) => new Date(FROM.getTime() + days * 24 * 60 * 60 * 1000);

test("nextRenewal places the renewal in [50 %, 80 %] of the validity by the random number", () => {
  const cases: [number, Date][] = [
    [0, at(5)],
    [0.5, at(6.5)],
    [0.999999, at(7.99999)],
    [1, at(8)],
    [-3, at(5)], // a broken random source still gives a time in range
  ];
  for (const [r, expected] of cases) {
    assert.ok(Math.abs(nextRenewal(FROM, TO, () => r).getTime() - expected.getTime()) < 1000, `random ${r}`);
  }
});

test("mustRenewNow: less than 20 % left, or expired", () => {
  const cases: [number, boolean][] = [
    [0, false],
    [7.99, false],
    [8.01, true],
    [10, true],
    [30, true],
  ];
  for (const [day, expected] of cases) assert.equal(mustRenewNow(FROM, TO, at(day)), expected, `day ${day}`);
});

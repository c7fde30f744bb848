import { test } from "node:test";
import assert from "node:assert/strict";
import { unifiedDiff } from "./diff.js";

const lines = (...ls: string[]): string => ls.map((l) => `${l}\n`).join("");

void test("unifiedDiff: equal texts give no diff", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n"), "");
});

void test("unifiedDiff: hunks with context, headers like diff -u", () => {
  const cases: { name: string; a: string; b: string; want: string }[] = [
    {
      name: "one changed line",
      a: lines("1", "2", "3", "4", "5", "6", "7", "8"),
      b: lines("1", "2", "3", "4", "five", "6", "7", "8"),
      want: lines("--- expected", "+++ actual", "@@ -2,7 +2,7 @@", " 2", " 3", " 4", "-5", "+five", " 6", " 7", " 8"),
    },
    {
      name: "from nothing",
      a: "",
      b: lines("x", "y"),
      want: lines("--- expected", "+++ actual", "@@ -0,0 +1,2 @@", "+x", "+y"),
    },
    {
      name: "a removed line at the end",
      a: lines("a", "b"),
      b: lines("a"),
      want: lines("--- expected", "+++ actual", "@@ -1,2 +1 @@", " a", "-b"),
    },
    {
      name: "two distant changes make two hunks",
      a: lines("a", "1", "2", "3", "4", "5", "6", "7", "8", "b"),
      b: lines("A", "1", "2", "3", "4", "5", "6", "7", "8", "B"),
      want: lines(
        "--- expected",
        "+++ actual",
        "@@ -1,4 +1,4 @@",
        "-a",
        "+A",
        " 1",
        " 2",
        " 3",
        "@@ -7,4 +7,4 @@",
        " 6",
        " 7",
        " 8",
        "-b",
        "+B",
      ),
    },
    {
      name: "an insertion is aligned, not a rewrite of everything after it",
      a: lines("x", "y", "z"),
      b: lines("x", "new", "y", "z"),
      want: lines("--- expected", "+++ actual", "@@ -1,3 +1,4 @@", " x", "+new", " y", " z"),
    },
  ];
  for (const c of cases) assert.equal(unifiedDiff(c.a, c.b), c.want, c.name);
});

void test("unifiedDiff: a difference only in the final newline is explained", () => {
  assert.match(unifiedDiff("a\n", "a"), /differ only in their final newline/);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { DatadrivenError } from "./errors.js";
import { parseDirectiveLine } from "./parse-line.js";
import { TestData } from "./test-data.js";

function td(line: string): TestData {
  const { cmd, args } = parseDirectiveLine(line, "s.txt:3");
  return new TestData({ pos: "s.txt:3", cmd, args, input: "", expected: "" });
}

void test("TestData accessors read every argument shape", () => {
  const d = td("step id=3 to=(1, -2, +4) name=n1 sync quick=false slow=TRUE tags=(a, b) none=()");
  assert.equal(d.cmd, "step");
  assert.equal(d.has("sync"), true);
  assert.equal(d.has("missing"), false);
  assert.deepEqual(d.arg("to").vals, ["1", "-2", "+4"]);
  assert.equal(d.int("id"), 3);
  assert.equal(d.int("absent", 7), 7);
  assert.deepEqual(d.ints("to"), [1, -2, 4]);
  assert.deepEqual(d.ints("id"), [3]);
  assert.deepEqual(d.ints("none"), []);
  assert.deepEqual(d.ints("absent", [9]), [9]);
  assert.equal(d.str("name"), "n1");
  assert.equal(d.str("absent", "dflt"), "dflt");
  assert.deepEqual(d.strs("tags"), ["a", "b"]);
  assert.equal(d.bool("sync"), true);
  assert.equal(d.bool("quick"), false);
  assert.equal(d.bool("slow"), true);
  assert.equal(d.bool("absent"), false);
  assert.equal(d.bool("absent", true), true);
});

void test("TestData accessor errors name file:line, the command and the argument", () => {
  const d = td("step id=x big=99999999999999999999 list=(1, 2) flag=maybe bare");
  const cases: [() => unknown, RegExp][] = [
    [() => d.int("id"), /^datadriven: s\.txt:3: step: argument "id": "x" is not an integer$/],
    [() => d.int("big"), /argument "big": "99999999999999999999" is not an integer/],
    [() => d.int("list"), /argument "list" needs exactly one value \(list=<value>\), got list=\(1, 2\)/],
    [() => d.int("bare"), /argument "bare" needs exactly one value .* got "bare" without a value/],
    [() => d.int("nope"), /^datadriven: s\.txt:3: step: missing argument "nope"$/],
    [() => d.ints("nope"), /missing argument "nope"/],
    [() => d.str("nope"), /missing argument "nope"/],
    [() => d.arg("nope"), /missing argument "nope"/],
    [() => d.bool("flag"), /argument "flag" is a flag: write "flag" or flag=true\|false, got flag=maybe/],
    [() => d.fail("unknown node 4"), /^datadriven: s\.txt:3: step: unknown node 4$/],
  ];
  for (const [fn, match] of cases) {
    assert.throws(
      fn,
      (err: unknown) => err instanceof DatadrivenError && err.pos === "s.txt:3" && match.test(err.message),
    );
  }
  // A bad argument fails even when a default is given, so a typo'd value is never silently replaced.
  assert.throws(() => d.int("id", 1), /"x" is not an integer/);
});

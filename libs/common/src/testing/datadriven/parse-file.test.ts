import { test } from "node:test";
import assert from "node:assert/strict";
import { DatadrivenError } from "./errors.js";
import { parseScenario } from "./parse-file.js";

const SCENARIO = [
  "# A comment at the top.", // 1
  "", // 2
  "add-nodes 3 voters=(1, 2, 3)", // 3
  "----", // 4
  "ok", // 5
  "", // 6
  "# Input lines, indentation kept.", // 7
  "propose 1", // 8
  "", // 9
  "  put a=1", // 10
  "put b=2", // 11
  "", // 12
  "----", // 13
  "1/5 proposed", // 14
  "----", // 15
  "", // 16
  "log", // 17
  "----", // 18
  "----", // 19
  "1/1 EntryNormal", // 20
  "", // 21
  "----", // 22
  "1/2 EntryNormal", // 23
  "----", // 24
  "----", // 25
  "empty \\", // 26
  "  x=1", // 27
  "----", // 28
  "", // 29
  "last", // 30
].join("\n");

void test("parseScenario: directives, inputs, outputs, comments and positions", () => {
  const ds = parseScenario(SCENARIO, "s.txt");
  assert.deepEqual(
    ds.map((d) => ({ pos: d.pos, cmd: d.cmd, input: d.input, expected: d.expected })),
    [
      { pos: "s.txt:3", cmd: "add-nodes", input: "", expected: "ok\n" },
      { pos: "s.txt:8", cmd: "propose", input: "  put a=1\nput b=2", expected: "1/5 proposed\n----\n" },
      { pos: "s.txt:17", cmd: "log", input: "", expected: "1/1 EntryNormal\n\n----\n1/2 EntryNormal\n" },
      { pos: "s.txt:26", cmd: "empty", input: "", expected: "" },
      { pos: "s.txt:30", cmd: "last", input: "", expected: "" },
    ],
  );
  const cont = ds[3];
  assert.equal(cont?.directive, "empty x=1");
  assert.deepEqual(cont?.args, [{ key: "x", vals: ["1"] }]);
  // Output blocks: from the `----` line to past the last output line (or the closing pair).
  const block = (i: number): string => SCENARIO.slice(ds[i]?.outStart, ds[i]?.outEnd);
  assert.equal(block(0), "----\nok\n");
  assert.equal(block(2), "----\n----\n1/1 EntryNormal\n\n----\n1/2 EntryNormal\n----\n----\n");
  assert.equal(block(3), "----\n");
  assert.equal(ds[4]?.outStart, SCENARIO.length);
  assert.equal(ds[4]?.outEnd, SCENARIO.length);
});

void test("parseScenario: errors name file:line", () => {
  const cases: [string, RegExp][] = [
    ["# ok\n\ncmd a=(1\n----\n", /^datadriven: t\.txt:3: cannot parse directive at column 7: unclosed "\("/],
    [
      "a\n----\nx\n\nb\n----\n----\nnever closed\n----\n",
      /^datadriven: t\.txt:5: the output opened by "----" twice at t\.txt:6 is never closed by two/,
    ],
  ];
  for (const [text, match] of cases) {
    assert.throws(
      () => parseScenario(text, "t.txt"),
      (err: unknown) => err instanceof DatadrivenError && match.test(err.message),
    );
  }
});

void test("parseScenario: a single-separator output ends at the first blank line", () => {
  const ds = parseScenario("a\n----\nx\n  \nb\n----\ny\n", "t.txt");
  assert.deepEqual(
    ds.map((d) => [d.cmd, d.expected]),
    [
      ["a", "x\n"],
      ["b", "y\n"],
    ],
  );
});

import { test } from "node:test";
import assert from "node:assert/strict";
import { DatadrivenError } from "./errors.js";
import { parseDirectiveLine } from "./parse-line.js";

const cases: { line: string; cmd: string; args: [string, string[]][] }[] = [
  { line: "tick", cmd: "tick", args: [] },
  { line: "  campaign   1  ", cmd: "campaign", args: [["1", []]] },
  {
    line: "propose id=1 data=hello",
    cmd: "propose",
    args: [
      ["id", ["1"]],
      ["data", ["hello"]],
    ],
  },
  {
    line: "add-nodes voters=(1, 2,3) learners=()",
    cmd: "add-nodes",
    args: [
      ["voters", ["1", "2", "3"]],
      ["learners", []],
    ],
  },
  { line: "deliver sync", cmd: "deliver", args: [["sync", []]] },
  {
    line: "set key= x",
    cmd: "set",
    args: [
      ["key", [""]],
      ["x", []],
    ],
  },
  { line: "eval exprs=(f(a, b), ( c ))", cmd: "eval", args: [["exprs", ["f(a, b)", "( c )"]]] },
  {
    line: "cmd\ta=1\tb",
    cmd: "cmd",
    args: [
      ["a", ["1"]],
      ["b", []],
    ],
  },
  {
    line: "cmd a=(x , y) a=2",
    cmd: "cmd",
    args: [
      ["a", ["x", "y"]],
      ["a", ["2"]],
    ],
  },
];

void test("parseDirectiveLine: every argument shape", () => {
  for (const c of cases) {
    const got = parseDirectiveLine(c.line, "f.txt:1");
    assert.equal(got.cmd, c.cmd, c.line);
    assert.deepEqual(
      got.args.map((a) => [a.key, [...a.vals]]),
      c.args,
      c.line,
    );
  }
});

void test("parseDirectiveLine: errors name file:line, the column and the argument", () => {
  const bad: { line: string; match: RegExp }[] = [
    {
      line: "cmd a=(1, 2",
      match: /^datadriven: f\.txt:7: cannot parse directive at column 7: unclosed "\(" in the value of "a"/,
    },
    { line: "cmd =x", match: /^datadriven: f\.txt:7: cannot parse directive at column 5: argument without a name/ },
    { line: "cmd a=(1)b", match: /column 10: text right after the list of "a"/ },
    { line: "cmd a=(f(1)", match: /unclosed "\(" in the value of "a"/ },
  ];
  for (const b of bad) {
    assert.throws(
      () => parseDirectiveLine(b.line, "f.txt:7"),
      (err: unknown) => err instanceof DatadrivenError && err.pos === "f.txt:7" && b.match.test(err.message),
      b.line,
    );
  }
});

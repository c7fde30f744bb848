import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../errors.js";
import { booleanOption, listOption, parseArgs, stringOption, type Syntax } from "./parser.js";

const syntax: Syntax = {
  options: [
    stringOption("name", "NAME", ""),
    listOption("env", "E", "", { short: "e" }),
    booleanOption("detach", "", { short: "d" }),
    booleanOption("quiet", "", { short: "q" }),
  ],
};

test("long, short, attached and = forms are read, repeatable flags collect in order", () => {
  const p = parseArgs(["--name", "web", "-e", "A=1", "-eB=2", "--env=C=3", "-dq", "img"], syntax, "x");
  assert.equal(p.string("name"), "web");
  assert.deepEqual(p.strings("env"), ["A=1", "B=2", "C=3"]);
  assert.equal(p.flag("detach"), true);
  assert.equal(p.flag("quiet"), true);
  assert.deepEqual(p.positionals, ["img"]);
});

test("flags after positionals are read unless the syntax stops at the first positional", () => {
  assert.equal(parseArgs(["img", "-d"], syntax, "x").flag("detach"), true);
  const stop = parseArgs(
    ["-d", "busybox", "sh", "-c", "echo hi", "--name", "x"],
    { ...syntax, stopAtPositional: true },
    "x",
  );
  assert.deepEqual(stop.positionals, ["busybox", "sh", "-c", "echo hi", "--name", "x"]);
  assert.equal(stop.has("name"), false);
});

test("-- ends the flags, and a negative number is a positional", () => {
  const p = parseArgs(["--", "-d"], syntax, "x");
  assert.deepEqual(p.positionals, ["-d"]);
  assert.deepEqual(parseArgs(["-1"], syntax, "x").positionals, ["-1"]);
});

test("a boolean flag takes =false", () => {
  const p = parseArgs(["--detach=false"], syntax, "x");
  assert.equal(p.has("detach"), true);
  assert.equal(p.flag("detach"), false);
});

const bad: [string[], RegExp][] = [
  [["--nope"], /unknown flag: --nope/],
  [["-z"], /unknown shorthand flag: 'z'/],
  [["--name"], /flag needs an argument: --name/],
  [["-e"], /flag needs an argument: -e/],
  [["--detach=maybe"], /invalid value "maybe" for --detach/],
];
for (const [argv, message] of bad) {
  test(`${argv.join(" ")} is a usage error naming the flag`, () => {
    assert.throws(
      () => parseArgs(argv, syntax, "service create"),
      (e: unknown) =>
        e instanceof UsageError && message.test(e.message) && e.command === "service create" && e.exitCode === 2,
    );
  });
}

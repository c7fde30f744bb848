import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError } from "./errors.js";
import { checkNames, checkTaskId, MAX_IFNAME, netnsName, vethName } from "./names.js";

test("veth names are 15 characters, deterministic, and differ across tasks and netns prefixes", () => {
  const a = vethName(netnsName("shoal-", "task-a"), new Set());
  assert.equal(a, vethName("shoal-task-a", new Set()));
  assert.equal(a.length, MAX_IFNAME);
  assert.match(a, /^vs[0-9a-f]{13}$/);
  assert.notEqual(vethName("shoal-task-b", new Set()), a);
  assert.notEqual(vethName("other-task-a", new Set()), a);
  const names = new Set(Array.from({ length: 5000 }, (_, i) => vethName(`shoal-${i}`, new Set())));
  assert.equal(names.size, 5000);
});

test("a taken veth name makes the derivation move on to another name, deterministically", () => {
  const first = vethName("shoal-x", new Set());
  const second = vethName("shoal-x", new Set([first]));
  assert.notEqual(second, first);
  assert.equal(second.length, MAX_IFNAME);
  assert.equal(vethName("shoal-x", new Set([first])), second);
  const third = vethName("shoal-x", new Set([first, second]));
  assert.ok(![first, second].includes(third));
});

test("task ids and kernel names are checked before they reach a command", () => {
  for (const ok of ["a", "task.1_x-Y", "x".repeat(64)]) checkTaskId(ok);
  for (const bad of ["", "-a", "../etc", "a/b", "a b", "x".repeat(65)]) {
    assert.throws(() => checkTaskId(bad), InvalidSpecError, bad);
  }
  checkNames({ bridge: "shoal0", table: "shoal", netnsPrefix: "shoal-" });
  assert.throws(() => checkNames({ bridge: "a-bridge-name-too-long", table: "t", netnsPrefix: "" }), /bridge/);
  assert.throws(() => checkNames({ bridge: "vs0", table: "t", netnsPrefix: "" }), /bridge/);
  assert.throws(() => checkNames({ bridge: "b", table: "1t", netnsPrefix: "" }), /table/);
  assert.throws(() => checkNames({ bridge: "b", table: "t", netnsPrefix: "a/b" }), /netnsPrefix/);
});

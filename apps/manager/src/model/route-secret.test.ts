import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterSecrets } from "@shoal/api";
import { secretsObject } from "../testing/fixtures.js";
import { routeSecretChanges } from "./route-secret.js";

const meta = { version: 7, createdAt: "t", updatedAt: "t" };
const current: ClusterSecrets = { ...secretsObject(), ...meta };
/** The secrets of a store made before the route secret: the bus token instead. */
const { routeSecret: _r, ...withoutRoute } = current;
const legacy = { ...withoutRoute, busToken: "old-bus-token" } as unknown as ClusterSecrets;

test("route secret: rotated when a manager leaves, added (and the bus token dropped) in an old store, else left", () => {
  const fresh = () => "fresh";
  const cases: [string, ClusterSecrets, boolean, string | undefined][] = [
    ["current, nobody left", current, false, undefined],
    ["current, a manager left", current, true, "fresh"],
    ["old store", legacy, false, "fresh"],
    ["old store, a manager left", legacy, true, "fresh"],
    ["old store that got its route secret but kept the token", { ...legacy, routeSecret: "kept" }, false, "kept"],
  ];
  for (const [name, secrets, rotate, expected] of cases) {
    const commands = routeSecretChanges(secrets, { rotate }, fresh);
    if (expected === undefined) {
      assert.deepEqual(commands, [], name);
      continue;
    }
    assert.equal(commands.length, 1, name);
    const c = commands[0];
    assert.ok(c?.op === "update" && c.kind === "secret", name);
    assert.equal(c.expectedVersion, 7, `${name}: conditional on the version read`);
    assert.equal((c.object as ClusterSecrets).routeSecret, expected, name);
    assert.ok(!("busToken" in c.object), `${name}: no bus token`);
    assert.deepEqual((c.object as ClusterSecrets).join, current.join, `${name}: the rest is kept`);
  }
});

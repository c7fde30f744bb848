// Tests of the dependency rules' lint plugin: each forbidden import is reported, allowed ones are not.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resolve } from "node:path";
import { violation } from "./boundaries.mjs";

const at = (p) => resolve(new URL("../..", import.meta.url).pathname, p);

const cases = [
  // [file, import, forbidden?]
  [
    "apps/manager/src/orchestrator/tick.ts",
    "../scheduler/filters.js",
    /component orchestrator must not import component scheduler/,
  ],
  [
    "apps/manager/src/dispatcher/dispatcher.ts",
    "../allocator/allocate.js",
    /component dispatcher must not import component allocator/,
  ],
  ["apps/manager/src/membership/managers.ts", "../api/errors.js", /component membership must not import component api/],
  ["apps/manager/src/state-dir.ts", "./api/server.js", /manager\.ts is the only file that wires components/],
  ["apps/manager/src/model/ports.ts", "../orchestrator/update.js", /manager\.ts is the only file/],
  ["apps/manager/src/model/ports.ts", "node:fs", /model is pure/],
  ["libs/store/src/store-state.ts", "@shoal/manager", /a lib must not import an app/],
  ["libs/store/src/store-state.ts", "../../../apps/agent/src/agent.js", /a lib must not import an app/],
  ["apps/manager/src/orchestrator/tick.ts", "../model/ports.js", undefined],
  ["apps/manager/src/orchestrator/tick.ts", "./update.js", undefined],
  ["apps/manager/src/scheduler/loop.ts", "../store/control-loop.js", undefined],
  ["apps/manager/src/manager.ts", "./dispatcher/dispatcher.js", undefined],
  ["apps/manager/src/index.ts", "./scheduler/plan.js", undefined],
  ["apps/manager/src/dispatcher/dispatcher.test.ts", "../api/handlers.js", undefined],
  ["libs/store/src/store-state.ts", "@shoal/api", undefined],
  ["apps/agent/src/agent.ts", "@shoal/manager", undefined],
];

for (const [file, source, expected] of cases) {
  test(`${file} importing ${source} is ${expected ? "refused" : "allowed"}`, () => {
    const got = violation(at(file), source);
    if (expected) assert.match(got ?? "", expected);
    else assert.equal(got, undefined);
  });
}

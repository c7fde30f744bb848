import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeRole } from "@shoal/bus";
import type { LocalManagerOptions } from "./local-manager.js";
import { quietLog } from "./log.js";
import { ManagerPromotion } from "./manager-promotion.js";

const JOIN = { managers: ["10.0.0.1:7070"] };
const promoted: NodeRole = { role: "manager", managerJoin: JOIN };

/** A promotion whose manager starts are recorded (or fail while `failing`), with what it logged. */
function setup(o: { cliBin?: string; shouldStart?: boolean } = {}) {
  const starts: { o: LocalManagerOptions; join: { managers: string[] } }[] = [];
  const warned: string[] = [];
  const errors: string[] = [];
  const s = { failing: false };
  const promotion = new ManagerPromotion({
    dataDir: "/var/lib/shoal",
    cliBin: o.cliBin ?? "/usr/lib/shoal/bin/shoal.mjs",
    advertiseAddr: "10.0.0.2",
    log: { ...quietLog, warn: (msg) => warned.push(msg), error: (msg) => errors.push(msg) },
    shouldStart: () => o.shouldStart ?? true,
    start: (opts, join) => {
      if (s.failing) throw new Error("cannot spawn");
      starts.push({ o: opts, join });
    },
  });
  return { promotion, starts, warned, errors, s };
}

test("manager promotion: a promoted node starts its manager once, with the managers' join", () => {
  const h = setup();
  h.promotion.follow(undefined);
  h.promotion.follow({ role: "worker" });
  h.promotion.follow({ role: "manager" });
  assert.equal(h.starts.length, 0, "no manager without a promotion that carries a join");
  h.promotion.follow(promoted);
  h.promotion.follow(promoted);
  assert.equal(h.starts.length, 1, "once per agent process");
  assert.deepEqual(h.starts[0]?.join, JOIN);
  assert.deepEqual(
    { ...h.starts[0]?.o, log: undefined },
    { dataDir: "/var/lib/shoal", cliBin: "/usr/lib/shoal/bin/shoal.mjs", advertiseAddr: "10.0.0.2", log: undefined },
  );
});

test("manager promotion: nothing starts where a manager runs or would be replaced", () => {
  const h = setup({ shouldStart: false });
  h.promotion.follow(promoted);
  assert.equal(h.starts.length, 0);
});

test("manager promotion: an agent not run from the shoal command says it cannot start a manager", () => {
  const h = setup({ cliBin: "/srv/other-daemon.js" });
  h.promotion.follow(promoted);
  assert.equal(h.starts.length, 0);
  assert.deepEqual(h.warned, [
    "promoted to manager, but this agent does not run from the shoal command, so it cannot start a manager",
  ]);
});

test("manager promotion: a start that failed is logged and tried again at the next promotion", () => {
  const h = setup();
  h.s.failing = true;
  h.promotion.follow(promoted);
  assert.deepEqual(h.errors, ["could not start this node's manager"]);
  h.s.failing = false;
  h.promotion.follow(promoted);
  assert.equal(h.starts.length, 1);
});

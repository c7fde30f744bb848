import assert from "node:assert/strict";
import { test } from "node:test";
import { applyAssignments, EMPTY_NETWORK_VIEW } from "./assignment-set.js";

test("assignment sets: the network view and the node's role follow their messages and survive deltas", () => {
  const full = applyAssignments(undefined, {
    type: "full",
    sessionId: "s",
    seq: 1,
    tasks: [],
    node: { role: "worker" },
  });
  assert.ok("set" in full);
  assert.deepEqual(full.set.node, { role: "worker" });
  assert.deepEqual(full.set.network, EMPTY_NETWORK_VIEW);
  const promoted = applyAssignments(full.set, {
    type: "node",
    sessionId: "s",
    seq: 2,
    node: { role: "manager", managerJoin: { managers: ["a:7070"] } },
  });
  assert.ok("set" in promoted);
  const network = { ...EMPTY_NETWORK_VIEW, nodeAttachments: [{ networkId: "n", address: "10.0.0.2" }] };
  const viewed = applyAssignments(promoted.set, { type: "network", sessionId: "s", seq: 3, network });
  assert.ok("set" in viewed);
  const delta = applyAssignments(viewed.set, { type: "delta", sessionId: "s", seq: 4, changes: [] });
  assert.ok("set" in delta);
  assert.equal(delta.set.node?.role, "manager");
  assert.deepEqual(delta.set.network, network);
  const lost = applyAssignments(delta.set, { type: "node", sessionId: "s", seq: 6, node: { role: "worker" } });
  assert.ok("resync" in lost, "a gap in the sequence asks for a full set");
});

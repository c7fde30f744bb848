import assert from "node:assert/strict";
import { test } from "node:test";
import { EntryType, MessageType, Role, msg } from "../../core/types.js";
import { MemCluster, seededRandom } from "../mem-cluster.js";
import { runSimulation } from "./simulation.js";

// Core bugs the simulator found, each pinned by a direct test and by the seed that found it.

const prop = (id: number) => {
  const entries = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array([1]) }];
  return msg({ type: MessageType.Prop, from: id, to: id, entries });
};

test("a node's own proposal or read forwarded back to it by a peer is dropped, not thrown at the transport", () => {
  // Found with { seed: 129, nodes: 3, faultGapMs: 30 }: node 1 forwarded a proposal to node 3, which took node 1
  // for the leader and forwarded it back; node 1, leaderless by then, threw NotLeaderError out of step().
  const c = new MemCluster([1, 2, 3], { random: seededRandom(7) });
  c.stabilize();
  const n1 = c.get(1).node;
  assert.equal(n1.raft.lead, 0);
  assert.doesNotThrow(() => n1.step(prop(1)));
  assert.doesNotThrow(() =>
    n1.step(msg({ type: MessageType.ReadIndex, from: 1, to: 1, context: new Uint8Array([9]) })),
  );
  // A leader still appends its own proposal when it comes back.
  n1.campaign();
  c.stabilize();
  assert.equal(n1.raft.role, Role.Leader);
  const last = n1.raft.log.lastIndex();
  n1.step(prop(1));
  assert.equal(n1.raft.log.lastIndex(), last + 1);
  const out = runSimulation({ seed: 129, nodes: 3, faultGapMs: 30 });
  assert.ok(out.ok, out.ok ? "" : out.failure.message);
});

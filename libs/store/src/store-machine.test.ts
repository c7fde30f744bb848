import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ServiceSpecSchema } from "@shoal/api";
import { openRaftNode, type RaftNode } from "@shoal/raft";
import { freePorts } from "@shoal/raft/testing";
import { VersionConflictError } from "./errors.js";
import { StoreMachine, encodeEntry, outcomeError, type ApplyOutcome } from "./store-machine.js";
import type { Command, StoreEvent } from "./store-state.js";

const service = (name: string) => ({
  id: "s1",
  spec: ServiceSpecSchema.parse({ name, taskTemplate: { container: { image: "busybox" } } }),
  endpoint: { ports: [], virtualIps: [] },
});

async function write(node: RaftNode, commands: Command[]): Promise<StoreEvent[]> {
  const o = await node.propose<ApplyOutcome>(encodeEntry({ time: new Date().toISOString(), commands }));
  if (!o.ok) throw outcomeError(o);
  return o.events;
}

test("the store replicated through a real Raft node: versions, conflicts, watches, recovery from disk", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-store-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [port] = await freePorts(1);
  const open = (machine: StoreMachine) =>
    openRaftNode({
      dataDir: dir,
      id: 1,
      clusterId: "store-test",
      listen: { host: "127.0.0.1", port: port! },
      stateMachine: machine,
      bootstrap: [{ id: 1, address: `127.0.0.1:${port}` }],
    });
  const machine = new StoreMachine();
  let node = await open(machine);
  t.after(() => node.stop());
  await node.waitForLeader(5000);
  const seen: string[] = [];
  machine.watch((events) => seen.push(...events.map((e) => `${e.op} ${e.kind} ${e.object.id} v${e.object.version}`)));

  const [created] = await write(node, [{ op: "create", kind: "service", object: service("web") }]);
  const v1 = created!.object.version;
  await write(node, [{ op: "update", kind: "service", object: service("web"), expectedVersion: v1 }]);
  await assert.rejects(
    write(node, [{ op: "update", kind: "service", object: service("web"), expectedVersion: v1 }]),
    VersionConflictError,
  );
  assert.equal(seen.length, 2);
  assert.match(seen[1]!, /^update service s1 v\d+$/);
  const version = machine.state.get("service", "s1")?.version;

  // A restarted manager rebuilds the same state from its log.
  await node.stop();
  const again = new StoreMachine();
  node = await open(again);
  await node.waitForLeader(5000);
  await node.readBarrier(5000);
  assert.equal(again.state.get("service", "s1")?.version, version);
  assert.equal(again.state.byName("service", "web")?.id, "s1");
});

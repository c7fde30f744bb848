import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "@shoal/api";
import type { Command } from "@shoal/store";
import { updateOf } from "@shoal/store";
import { api, type Api } from "../testing/api-harness.js";

/** Makes node n1 a manager, then demotes it through the API; n1 before the demotion, and as it answered. */
async function demoteN1(a: Api): Promise<{ before: Node; after: Node }> {
  const n1 = a.store.state.get("node", "n1");
  assert.ok(n1);
  await a.store.write([updateOf("node", n1, { spec: { ...n1.spec, role: "manager" } })]);
  const client = await a.client();
  const before = await client.call("nodeInspect", { params: { ref: "n1" } });
  const after = await client.call("nodeUpdate", {
    params: { ref: "n1" },
    body: { version: before.version, spec: { ...before.spec, role: "worker" } },
  });
  return { before, after };
}

test("a demotion hands the node's new role to the manager's removal, which writes it with the unlisting", async (t) => {
  const calls: { addr: string; force: boolean; also: readonly Command[] }[] = [];
  const a: Api = await api(t, {
    removeManager: async (addr, force, also = []) => {
      calls.push({ addr, force, also });
      await a.store.write([...also]);
      return true;
    },
  });
  const { before: n1, after } = await demoteN1(a);
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.addr, n1.status.addr);
  assert.equal(calls[0]?.force, false);
  const [cmd] = calls[0]?.also ?? [];
  assert.ok(cmd?.op === "update" && cmd.kind === "node");
  assert.equal((cmd.object as { spec: { role: string } }).spec.role, "worker");
  // Written once, by the removal, not a second time by the handler.
  assert.equal(after.spec.role, "worker");
  assert.equal(after.version, n1.version + 1);
});

test("a demotion whose manager is not listed (it never joined) writes the role itself", async (t) => {
  const a = await api(t, { removeManager: () => Promise.resolve(false) });
  const { after } = await demoteN1(a);
  assert.equal(after.spec.role, "worker");
  assert.equal(a.store.state.get("node", "n1")?.spec.role, "worker");
});

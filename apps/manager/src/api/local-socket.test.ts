// The manager's local socket: root on the node is an admin there without a certificate; the socket is 0600
// from the moment it has its name, and goes away with the API.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { socketClient } from "@shoal/api/node";
import { ApiError, SHOAL_VERSION } from "@shoal/api";
import { StoreMachine } from "@shoal/store";
import { ClusterStore, LocalConsensus } from "../store/cluster-store.js";
import { seededStore, serviceSpec } from "../testing/fixtures.js";
import { info, noLogs } from "../testing/api-harness.js";
import { buildApiServer } from "./server.js";
import { callerOf, describeCaller } from "./caller.js";

test("root on a manager node is an admin on the local socket (0600); the same API over TCP wants a credential", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-local-socket-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "manager.sock");
  const machine = new StoreMachine();
  const store = await seededStore({ store: new ClusterStore(machine, new LocalConsensus(machine)), nodes: ["n1"] });
  const app = await buildApiServer({
    store,
    info: () => info(store),
    logs: noLogs,
    version: SHOAL_VERSION,
    localSocket: { path, nodeId: "n1" },
  });
  let closed = false;
  t.after(async () => {
    if (!closed) await app.close();
  });
  app.get("/test/caller", (req) => ({ caller: describeCaller(callerOf(req)) }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  const st = statSync(path);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ["manager.sock"], "the private directory it was bound in is gone");

  const local = socketClient(path, { timeoutMs: 5_000 });
  t.after(() => local.close());
  const created = await local.client.call("serviceCreate", { body: serviceSpec("api") });
  assert.equal(created.spec.name, "api");
  assert.equal((await local.client.call("joinTokens")).worker.startsWith("SHLTKN-1-"), true);
  const r = await local.client.call("info");
  assert.equal(r.clusterId, "c1");

  // The TCP listener of the same API: plain HTTP here, anonymous, refused.
  const addr = app.server.address();
  assert.ok(addr && typeof addr === "object");
  const tcp = await fetch(`http://127.0.0.1:${addr.port}/v1/services`);
  assert.equal(tcp.status, 401);
  const caller = (await (await fetch(`http://127.0.0.1:${addr.port}/test/caller`)).json()) as { caller: string };
  assert.equal(caller.caller, "anonymous");

  await app.close();
  closed = true;
  assert.equal(existsSync(path), false, "the socket goes away with the API");
  const gone = await local.client.call("info").catch((e: unknown) => e);
  assert.ok(gone instanceof ApiError && gone.code === "SHOAL_ERR_UNREACHABLE", String(gone));
});

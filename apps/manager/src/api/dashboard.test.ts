import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { SHOAL_VERSION } from "@shoal/api";
import { StoreMachine } from "@shoal/store";
import { ClusterStore, LocalConsensus } from "../store/cluster-store.js";
import { seededStore } from "../testing/fixtures.js";
import { DASHBOARD_CSP } from "./dashboard.js";
import { buildApiServer } from "./server.js";

async function server(t: TestContext, dashboardDir: string | null) {
  const machine = new StoreMachine();
  const store = await seededStore({ store: new ClusterStore(machine, new LocalConsensus(machine)), nodes: ["n1"] });
  const info = () => ({
    version: SHOAL_VERSION,
    clusterId: "c1",
    nodeId: "1",
    managerAddr: "127.0.0.1:7070",
    raft: { leader: true, term: 1, commitIndex: 1, appliedIndex: 1 },
    counts: { nodes: 1, services: 0, tasks: 0 },
  });
  const app = await buildApiServer({ store, info, logs: async function* () {}, version: SHOAL_VERSION, dashboardDir });
  t.after(() => app.close());
  return app;
}

test("the manager serves the dashboard at / beside the API, the API docs and the OpenAPI document (the page and docs to anyone, the API to callers with a credential)", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-dash-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Shoal</title><div id=app></div>");
  writeFileSync(join(dir, "assets", "index-abc123.js"), "console.log(1)");
  const app = await server(t, dir);

  const page = await app.inject({ url: "/" });
  assert.equal(page.statusCode, 200);
  assert.match(page.body, /<div id=app>/);
  assert.match(String(page.headers["content-type"]), /text\/html/);
  assert.equal(page.headers["content-security-policy"], DASHBOARD_CSP);
  assert.equal(page.headers["cache-control"], "no-cache");

  const asset = await app.inject({ url: "/assets/index-abc123.js" });
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers["cache-control"]), /immutable/);

  // The page and the API's description are public; the API itself wants a credential.
  assert.equal((await app.inject({ url: "/v1/info" })).statusCode, 401);
  assert.equal((await app.inject({ url: "/openapi.json" })).statusCode, 200);
  assert.equal((await app.inject({ url: "/docs/" })).statusCode, 200);
  const missing = await app.inject({ url: "/v1/nope" });
  assert.equal(missing.statusCode, 404);
  assert.equal((JSON.parse(missing.body) as { error: { code: string } }).error.code, "SHOAL_ERR_NO_ROUTE");
  assert.equal((await app.inject({ url: "/assets/nope.js" })).statusCode, 404);
});

test("without a dashboard build, / says how to build one", async (t) => {
  const app = await server(t, join(tmpdir(), "shoal-no-such-dashboard"));
  const page = await app.inject({ url: "/" });
  assert.equal(page.statusCode, 503);
  assert.match(page.body, /npm run build -w @shoal\/dashboard/);
  assert.equal((await app.inject({ url: "/v1/info" })).statusCode, 401);
});

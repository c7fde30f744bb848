import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Node } from "@shoal/api";
import { apiError, FakeServer } from "../testing/fake-server.js";
import { cliAgainst } from "../testing/run-cli.js";
import { makeNode } from "../testing/objects.js";

let api: FakeServer;
let host: string;
let node: Node;
/** The number of next updates the fake refuses with 409 (as if someone else wrote first). */
let conflicts = 0;

before(async () => {
  api = new FakeServer();
  api
    .on("GET", "/v1/nodes", () => ({
      status: 200,
      json: [node, makeNode({ id: "n2", hostname: "worker2", state: "down" })],
    }))
    .on("GET", "/v1/info", () => apiError(500, "SHOAL_ERR_INTERNAL", "not in this test"))
    .on("GET", "/v1/nodes/:ref", (r) =>
      r.params.ref === "node1" || r.params.ref === "n1"
        ? { status: 200, json: node }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `api: no node ${JSON.stringify(r.params.ref)}`),
    )
    .on("POST", "/v1/nodes/:ref/update", (r) => {
      const body = JSON.parse(r.body.toString()) as { version: number; spec: Node["spec"] };
      if (conflicts > 0) {
        conflicts--;
        node = { ...node, version: node.version + 1 }; // the other writer's change
        return apiError(
          409,
          "SHOAL_ERR_VERSION_CONFLICT",
          `api: node n1 changed (version ${node.version}), refetch and retry`,
        );
      }
      if (body.version !== node.version) return apiError(409, "SHOAL_ERR_VERSION_CONFLICT", "stale version");
      node = { ...node, version: node.version + 1, spec: body.spec };
      return { status: 200, json: node };
    });
  host = await api.listen();
});
after(() => api.close());

const run = cliAgainst(() => host);

test("node ls shows the table with the leader", async () => {
  node = makeNode({ id: "n1", hostname: "node1", leader: true });
  const r = await run("node", "ls");
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    "ID   HOSTNAME   STATUS   AVAILABILITY   MANAGER STATUS\nn1   node1      Ready    Active         Leader\nn2   worker2    Down     Active\n",
  );
});

test("node inspect prints a JSON array", async () => {
  node = makeNode({ id: "n1", hostname: "node1" });
  const r = await run("node", "inspect", "node1");
  assert.deepEqual(
    (JSON.parse(r.out) as Node[]).map((n) => n.id),
    ["n1"],
  );
});

test("node update changes availability and labels with the node's version", async () => {
  node = makeNode({ id: "n1", hostname: "node1", version: 7, labels: { zone: "a", old: "x" } });
  const r = await run(
    "node",
    "update",
    "--availability",
    "drain",
    "--label-add",
    "zone=b",
    "--label-rm",
    "old",
    "node1",
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "node1\n");
  assert.deepEqual(node.spec, { role: "worker", availability: "drain", labels: { zone: "b" } });
});

test("node update refetches and retries once on a version conflict (409)", async () => {
  node = makeNode({ id: "n1", hostname: "node1", version: 7 });
  conflicts = 1;
  const gets = api.requests("GET", "/v1/nodes/node1").length;
  const r = await run("node", "update", "--availability", "pause", "node1");
  assert.equal(r.code, 0, r.err);
  assert.equal(node.spec.availability, "pause");
  assert.equal(api.requests("GET", "/v1/nodes/node1").length - gets, 2, "fetched again after the conflict");
  const versions = api
    .requests("POST", "/v1/nodes/n1/update")
    .slice(-2)
    .map((q) => (JSON.parse(q.body.toString()) as { version: number }).version);
  assert.deepEqual(versions, [7, 8]);
});

test("node update gives up after a second conflict, exit 1", async () => {
  node = makeNode({ id: "n1", hostname: "node1", version: 7 });
  conflicts = 2;
  const r = await run("node", "update", "--availability", "pause", "node1");
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: api: node n1 changed/);
  conflicts = 0;
});

test("node update checks --availability, exit 2", async () => {
  const r = await run("node", "update", "--availability", "off", "node1");
  assert.equal(r.code, 2);
  assert.match(r.err, /invalid value "off" for --availability: use active, pause or drain/);
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { FakeServer } from "../testing/fake-server.js";
import { makeInfo } from "../testing/objects.js";
import { cliAgainst } from "../testing/run-cli.js";

const DIGEST = "1".repeat(50);
let tokens = { worker: `SHLTKN-1-${DIGEST}-${"1".repeat(25)}`, manager: `SHLTKN-1-${DIGEST}-${"2".repeat(25)}` };
let api: FakeServer;
let host = "";
const shoal = cliAgainst(() => host);

before(async () => {
  api = new FakeServer()
    .on("GET", "/v1/cluster/join-tokens", () => ({ status: 200, json: tokens }))
    .on("POST", "/v1/cluster/join-tokens/rotate", (r) => {
      const { role } = JSON.parse(r.body.toString()) as { role: "worker" | "manager" };
      tokens = { ...tokens, [role]: `SHLTKN-1-${DIGEST}-${"3".repeat(25)}` };
      return { status: 204 };
    })
    .on("GET", "/v1/info", () => ({
      status: 200,
      json: makeInfo({ managerAddr: "10.0.0.1:7070" }),
    }));
  host = await api.listen();
});
after(() => api.close());

test("cluster join-token shows the join command of a role, and only the token with -q", async () => {
  const r = await shoal("cluster", "join-token", "worker");
  assert.equal(r.code, 0, r.err);
  assert.equal(
    r.out,
    `To add a worker to this cluster, run the following command:\n\n    shoal cluster join --token ${tokens.worker} 10.0.0.1:7070\n`,
  );
  const q = await shoal("cluster", "join-token", "-q", "manager");
  assert.equal(q.out, `${tokens.manager}\n`);
  assert.equal(api.requests("POST", "/v1/cluster/join-tokens/rotate").length, 0, "nothing was rotated");
});

test("cluster join-token --rotate gives the role a new token and prints it", async () => {
  const before = tokens.manager;
  const r = await shoal("cluster", "join-token", "--rotate", "-q", "manager");
  assert.equal(r.code, 0, r.err);
  assert.equal(api.requests("POST", "/v1/cluster/join-tokens/rotate").length, 1);
  assert.notEqual(r.out, `${before}\n`);
  assert.equal(r.out, `${tokens.manager}\n`);
});

test("cluster join-token refuses a role that is none, naming the two", async () => {
  const r = await shoal("cluster", "join-token", "admin");
  assert.equal(r.code, 2);
  assert.match(r.err, /"admin" is not a role: use worker or manager/);
});

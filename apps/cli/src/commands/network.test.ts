import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Network } from "@shoal/api";
import { apiError, FakeServer } from "../testing/fake-server.js";
import { cliAgainst } from "../testing/run-cli.js";

let api: FakeServer;
let host: string;
let created: unknown;
const stamp = { version: 3, createdAt: "2026-11-23T10:00:00.000Z", updatedAt: "2026-11-23T10:00:00.000Z" };
const backend: Network = {
  id: "nbackend0000000000000000a",
  ...stamp,
  spec: { name: "backend", driver: "overlay", labels: {}, subnets: [], attachable: false, ingress: false },
  vni: 4097,
  subnets: [{ subnet: "10.10.1.0/24", gateway: "10.10.1.1" }],
};
const ingress: Network = {
  id: "ningress0000000000000000a",
  ...stamp,
  spec: { name: "ingress", driver: "overlay", labels: {}, subnets: [], attachable: false, ingress: true },
  vni: 4096,
  subnets: [{ subnet: "10.10.0.0/24", gateway: "10.10.0.1" }],
};

before(async () => {
  api = new FakeServer();
  api
    .on("GET", "/v1/networks", () => ({ status: 200, json: [backend, ingress] }))
    .on("GET", "/v1/networks/:ref", (r) =>
      r.params.ref === "backend"
        ? { status: 200, json: backend }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `api: no network ${JSON.stringify(r.params.ref)}`),
    )
    .on("POST", "/v1/networks", (r) => {
      created = JSON.parse(r.body.toString());
      return { status: 201, json: { ...backend, id: "nnew", spec: created } };
    })
    .on("DELETE", "/v1/networks/:ref", (r) =>
      r.params.ref === "backend"
        ? { status: 204 }
        : apiError(409, "SHOAL_ERR_CONFLICT", "api: network ingress is used by service web", {
            hint: "remove the service first",
          }),
    );
  host = await api.listen();
});
after(() => api.close());

const run = cliAgainst(() => host);

test("network ls shows name, subnets and VNI, by name; -q only ids", async () => {
  const r = await run("network", "ls");
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trimEnd().split("\n");
  assert.match(lines[0] ?? "", /^ID\s+NAME\s+DRIVER\s+SCOPE\s+SUBNETS\s+VNI\s+FLAGS$/);
  assert.match(lines[1] ?? "", /backend\s+overlay\s+swarm\s+10\.10\.1\.0\/24\s+4097/);
  assert.match(lines[2] ?? "", /ingress\s+overlay\s+swarm\s+10\.10\.0\.0\/24\s+4096\s+ingress/);
  assert.equal((await run("network", "ls", "-q")).out, `${backend.id}\n${ingress.id}\n`);
});

test("network create sends the spec: subnets with their gateways, attachable, labels", async () => {
  const r = await run(
    "network",
    "create",
    "--subnet",
    "10.30.0.0/24",
    "--gateway",
    "10.30.0.254",
    "--subnet",
    "10.31.0.0/24",
    "--attachable",
    "--label",
    "team=a",
    "front",
  );
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "nnew\n");
  assert.deepEqual(created, {
    name: "front",
    driver: "overlay",
    subnets: [{ subnet: "10.30.0.0/24", gateway: "10.30.0.254" }, { subnet: "10.31.0.0/24" }],
    attachable: true,
    ingress: false,
    labels: { team: "a" },
  });
});

test("network create refuses another driver and a gateway without its subnet, sending nothing", async () => {
  created = undefined;
  const bad = await run("network", "create", "--driver", "bridge", "x");
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /driver/);
  const gw = await run("network", "create", "--gateway", "10.0.0.1", "x");
  assert.notEqual(gw.code, 0);
  assert.match(gw.err, /--gateway: each gateway belongs to a --subnet/);
  assert.equal(created, undefined);
});

test("network inspect and rm: found ones succeed, others print the API's error and the exit code says so", async () => {
  const i = await run("network", "inspect", "backend");
  assert.deepEqual(
    (JSON.parse(i.out) as Network[]).map((n) => n.spec.name),
    ["backend"],
  );
  const rm = await run("network", "rm", "backend", "ingress");
  assert.equal(rm.out, "backend\n");
  assert.notEqual(rm.code, 0);
  assert.match(rm.err, /network ingress is used by service web/);
  assert.match(rm.err, /remove the service first/);
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ServiceSpec, Task } from "@shoal/api";
import { main } from "../main.js";
import { apiError, captureIo, FakeServer } from "../testing/fake-server.js";
import { makeNode, makeService, makeTask, withStatus } from "../testing/objects.js";

let api: FakeServer;
let host: string;
/** Tasks the fake returns per poll: the list advances one step per request, then stays on the last. */
let taskSteps: Task[][] = [];
let taskPolls = 0;

before(async () => {
  api = new FakeServer();
  api
    .on("POST", "/v1/services", (r) => {
      const spec = JSON.parse(r.body.toString()) as ServiceSpec;
      if (spec.taskTemplate.networks.some((n) => n.target === "missing")) {
        return apiError(400, "SHOAL_ERR_INVALID_ARGUMENT", "api: invalid service spec", {
          issues: [{ field: "taskTemplate.networks.0.target", message: "no network named missing" }],
          hint: "create it with `shoal network create missing`",
        });
      }
      return {
        status: 201,
        json: makeService({
          id: "svc1",
          name: spec.name,
          replicas: spec.mode.mode === "replicated" ? spec.mode.replicas : 1,
        }),
      };
    })
    .on("GET", "/v1/services/:ref", (r) =>
      r.params.ref === "web" || r.params.ref === "svc1"
        ? { status: 200, json: withStatus(makeService({ id: "svc1", replicas: 2 }), 2, 2) }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `api: no service ${JSON.stringify(r.params.ref)}`),
    )
    .on("GET", "/v1/services", () => ({
      status: 200,
      json: [withStatus(makeService({ id: "svc1", replicas: 2 }), 1, 2)],
    }))
    .on("GET", "/v1/tasks", () => ({ status: 200, json: taskSteps[Math.min(taskPolls++, taskSteps.length - 1)] ?? [] }))
    .on("GET", "/v1/nodes", () => ({ status: 200, json: [makeNode({ id: "n1", hostname: "node1", leader: true })] }))
    .on("POST", "/v1/services/:ref/scale", (r) =>
      r.params.ref === "web"
        ? {
            status: 200,
            json: makeService({
              id: "svc1",
              replicas: (JSON.parse(r.body.toString()) as { replicas: number }).replicas,
            }),
          }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `api: no service ${JSON.stringify(r.params.ref)}`),
    )
    .on("POST", "/v1/services/:ref/update", () => ({
      status: 200,
      json: makeService({ id: "svc1", replicas: 2, image: "busybox:1.37" }),
    }))
    .on("DELETE", "/v1/services/:ref", (r) =>
      r.params.ref === "web"
        ? { status: 204 }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `api: no service ${JSON.stringify(r.params.ref)}`),
    )
    .on("GET", "/v1/services/:ref/logs", () => ({
      status: 200,
      lines: [
        JSON.stringify({
          taskId: "task1aaaaaaaaaaaaa",
          serviceId: "svc1",
          slot: 1,
          nodeId: "n1",
          stream: "stdout",
          time: "2026-01-01T00:00:00.000Z",
          line: "hello",
        }),
        JSON.stringify({
          taskId: "task2aaaaaaaaaaaaa",
          serviceId: "svc1",
          slot: 2,
          nodeId: "n1",
          stream: "stderr",
          time: "2026-01-01T00:00:01.000Z",
          line: "oops",
        }),
      ],
    }));
  host = await api.listen();
});
after(() => api.close());

const run = async (...argv: string[]) => {
  const io = captureIo({ env: { SHOAL_HOST: host } });
  const code = await main(argv, io);
  return { code, out: io.out(), err: io.err() };
};

test("service create sends the spec, prints the id and shows progress until the service converges", async () => {
  taskPolls = 0;
  taskSteps = [
    [
      makeTask({
        id: "t1",
        slot: 1,
        state: "pending",
        message: "no suitable node",
        unschedulable: [{ nodeId: "n1", hostname: "node1", reason: "node is down" }],
      }),
    ],
    [makeTask({ id: "t1", slot: 1, state: "starting" }), makeTask({ id: "t2", slot: 2, state: "assigned" })],
    [makeTask({ id: "t1", slot: 1, state: "running" }), makeTask({ id: "t2", slot: 2, state: "running" })],
  ];
  const r = await run(
    "service",
    "create",
    "--name",
    "web",
    "--replicas",
    "2",
    "-p",
    "8080:80",
    "busybox:1.36",
    "sleep",
    "60",
  );
  assert.equal(r.code, 0, r.err);
  const sent = JSON.parse(api.requests("POST", "/v1/services").at(-1)?.body.toString() ?? "{}") as ServiceSpec;
  assert.equal(sent.name, "web");
  assert.deepEqual(sent.mode, { mode: "replicated", replicas: 2 });
  assert.deepEqual(sent.taskTemplate.container.args, ["sleep", "60"]);
  assert.equal(sent.endpoint.ports[0]?.publishedPort, 8080);
  const lines = r.out.split("\n");
  assert.equal(lines[0], "svc1");
  assert.ok(r.out.includes("1/2: pending") && r.out.includes("no suitable node: node is down (node1)"), r.out);
  assert.ok(r.out.includes("overall progress: 2 out of 2 tasks"), r.out);
  assert.equal(lines.at(-2), "verify: Service converged");
});

test("service create -d returns at once without polling tasks", async () => {
  taskPolls = 0;
  const r = await run("service", "create", "-d", "--name", "web", "busybox");
  assert.equal(r.code, 0);
  assert.equal(r.out, "svc1\n");
  assert.equal(taskPolls, 0);
});

test("service create gives up with exit 1 after --timeout when the service does not converge", async () => {
  taskPolls = 0;
  taskSteps = [[makeTask({ id: "t1", slot: 1, state: "pending", message: "no suitable node" })]];
  const r = await run("service", "create", "--name", "web", "--replicas", "1", "--timeout", "300ms", "busybox");
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^Error: service web did not converge in 300ms: 0 of 2 tasks running\nhint: .*shoal service ps web/,
  );
});

test("a 400 from the API prints the message, each wrong field and the hint, exit 1", async () => {
  const r = await run("service", "create", "--name", "web", "--network", "missing", "-d", "busybox");
  assert.equal(r.code, 1);
  assert.equal(
    r.err,
    "Error: api: invalid service spec\n  taskTemplate.networks.0.target: no network named missing\nhint: create it with `shoal network create missing`\n",
  );
});

test("a spec the schema refuses is reported without calling the API, exit 1", async () => {
  const before_ = api.received.length;
  const r = await run("service", "create", "--name", "-bad", "--limit-memory", "1k", "busybox");
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^Error: invalid service spec\n {2}name: .*\(--name\)\n {2}taskTemplate\.resources\.limits\.memoryBytes: a memory limit must be at least 6 MiB \(--limit-memory\)\n$/,
  );
  assert.equal(api.received.length, before_);
});

test("a bad flag value is a usage error naming the flag, exit 2", async () => {
  const r = await run("service", "create", "--restart-condition", "always", "busybox");
  assert.equal(r.code, 2);
  assert.equal(
    r.err,
    "Error: invalid value \"always\" for --restart-condition: use none, on-failure or any\nSee 'shoal service create --help'.\n",
  );
  const unknown = await run("service", "ls", "--colour");
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown flag: --colour\nSee 'shoal service ls --help'/);
});

test("a 404 prints the API's message, exit 1", async () => {
  const r = await run("service", "inspect", "nope");
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: api: no service "nope"\n/);
  assert.equal(r.out, "[]\n");
});

test("an unreachable manager is reported with a hint, exit 1", async () => {
  const closed = new FakeServer();
  const addr = await closed.listen();
  await closed.close();
  const io = captureIo({ env: {} });
  const code = await main(["service", "ls", "--host", addr], io);
  assert.equal(code, 1);
  assert.ok(
    io
      .err()
      .startsWith(
        `Error: cannot reach a manager at http://${addr} (connect ECONNREFUSED ${addr})\nhint: is \`shoal manager\` running there?`,
      ),
    io.err(),
  );
});

test("service ls prints the table, ids with -q, and the API objects with --format json", async () => {
  const table = await run("service", "ls");
  assert.match(
    table.out,
    /^ID\s+NAME\s+MODE\s+REPLICAS\s+IMAGE\s+PORTS\nsvc1\s+web\s+replicated\s+1\/2\s+busybox:1\.36\n$/,
  );
  assert.equal((await run("service", "ls", "-q")).out, "svc1\n");
  const json = JSON.parse((await run("service", "ls", "--format", "json")).out) as { id: string }[];
  assert.equal(json[0]?.id, "svc1");
  assert.equal((await run("service", "ls", "--format", "yaml")).code, 2);
});

test("service ps shows the task tree with node names and filters by desired state", async () => {
  taskPolls = 0;
  taskSteps = [
    [
      makeTask({ id: "new1", slot: 1, nodeId: "n1", state: "running", createdMs: Date.parse("2026-01-01T00:00:01Z") }),
      makeTask({ id: "old1", slot: 1, nodeId: "n1", state: "failed", desired: "shutdown", err: "exit 1" }),
    ],
  ];
  const r = await run("service", "ps", "web");
  assert.equal(r.code, 0, r.err);
  assert.match(
    r.out,
    /\nnew1\s+web\.1\s+busybox:1\.36\s+node1\s+Running\s+Running .* ago\s*\nold1\s+ \\_ web\.1\s+busybox:1\.36\s+node1\s+Shutdown\s+Failed .* ago\s+"exit 1"\n$/,
  );
  taskPolls = 0;
  const filtered = await run("service", "ps", "--filter", "desired-state=running", "-q", "web");
  assert.equal(filtered.out, "new1\n");
  assert.equal((await run("service", "ps", "--filter", "colour=red", "web")).code, 2);
});

test("service scale sets each service's replicas; an unknown one fails the command but not the others", async () => {
  const r = await run("service", "scale", "-d", "web=5", "nope=1");
  assert.equal(r.code, 1);
  assert.equal(r.out, "web scaled to 5\n");
  assert.match(r.err, /no service "nope"/);
  assert.deepEqual(JSON.parse(api.requests("POST", "/v1/services/web/scale").at(-1)?.body.toString() ?? ""), {
    replicas: 5,
  });
  assert.equal((await run("service", "scale", "web=many")).code, 2);
});

test("service update sends the edited spec with the service's version", async () => {
  const r = await run("service", "update", "-d", "--image", "busybox:1.37", "--env-add", "A=1", "web");
  assert.equal(r.code, 0, r.err);
  const body = JSON.parse(api.requests("POST", "/v1/services/svc1/update").at(-1)?.body.toString() ?? "") as {
    version: number;
    spec: ServiceSpec;
  };
  assert.equal(body.version, 10);
  assert.equal(body.spec.taskTemplate.container.image, "busybox:1.37");
  assert.deepEqual(body.spec.taskTemplate.container.env, ["A=1"]);
});

test("service rm removes each service and reports the ones it cannot", async () => {
  const r = await run("service", "rm", "web", "nope");
  assert.equal(r.code, 1);
  assert.equal(r.out, "web\n");
  assert.match(r.err, /no service "nope"/);
});

test("service logs prefixes lines with service, slot, task and node, stderr to stderr", async () => {
  const r = await run("service", "logs", "--tail", "5", "web");
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "web.1.task1aaaaaaa@node1    | hello\n");
  assert.equal(r.err, "web.2.task2aaaaaaa@node1    | oops\n");
  assert.equal(api.requests("GET", "/v1/services/svc1/logs").at(-1)?.query.get("tail"), "5");
});

test("--help prints the command's usage and exits 0", async () => {
  const r = await run("service", "create", "--help");
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: {2}shoal service create \[OPTIONS\] IMAGE \[COMMAND\] \[ARG\.\.\.\]/);
  assert.match(r.out, /--limit-memory SIZE/);
  const unknown = await run("service", "frobnicate");
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /unknown command "service frobnicate"/);
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseArgs } from "../args/parser.js";
import { Context, GLOBAL_OPTIONS, type Command } from "../context.js";
import { UsageError } from "../errors.js";
import { main } from "../main.js";
import { captureIo, FakeServer } from "../testing/fake-server.js";
import { agentCommand, agentOptions, managerCommand, managerOptions } from "./daemon.js";

const parse = (c: Command, argv: string[]) => {
  const p = parseArgs(argv, { options: [...c.syntax.options, ...GLOBAL_OPTIONS] }, c.name);
  return { ctx: new Context(captureIo(), p), p };
};

test("shoal manager flags map to the manager's options, with the documented defaults", () => {
  const d = parse(managerCommand, []);
  assert.deepEqual(managerOptions(d.ctx, d.p), {
    dataDir: "/var/lib/shoal",
    listenAddr: "0.0.0.0",
    advertiseAddr: "127.0.0.1",
    apiPort: 7070,
    raftPort: 7071,
    natsPort: 7072,
    natsClusterPort: 7073,
    init: false,
    runDir: "/run/shoal",
    heartbeatPeriodMs: 1000,
  });
  const f = parse(managerCommand, [
    "--data-dir",
    "/d",
    "--listen-addr",
    "10.0.0.1",
    "--advertise-addr",
    "10.0.0.2",
    "--api-port",
    "8070",
    "--raft-port",
    "8071",
    "--nats-port",
    "8072",
    "--nats-cluster-port",
    "8073",
    "--init",
    "--heartbeat-period",
    "500ms",
    "--run-dir",
    "/r",
  ]);
  assert.deepEqual(managerOptions(f.ctx, f.p), {
    dataDir: "/d",
    listenAddr: "10.0.0.1",
    advertiseAddr: "10.0.0.2",
    apiPort: 8070,
    raftPort: 8071,
    natsPort: 8072,
    natsClusterPort: 8073,
    init: true,
    runDir: "/r",
    heartbeatPeriodMs: 500,
  });
  const forced = parse(managerCommand, ["--force-new-cluster"]);
  assert.equal(managerOptions(forced.ctx, forced.p).forceNewCluster, true);
  const bad = parse(managerCommand, ["--api-port", "70000"]);
  assert.throws(
    () => managerOptions(bad.ctx, bad.p),
    (e: unknown) => e instanceof UsageError && /--api-port/.test(e.message),
  );
});

test("shoal agent flags map to the agent's options", () => {
  const a = parse(agentCommand, [
    "--run-dir",
    "/r",
    "--cgroup-parent",
    "n1",
    "--hostname",
    "h1",
    "--label",
    "zone=a",
    "--label",
    "ssd",
    "--advertise-addr",
    "10.0.0.3",
    "--join",
    "10.0.0.1:7070,10.0.0.2:7070",
    "--token",
    "T",
  ]);
  assert.deepEqual(agentOptions(a.ctx, a.p), {
    dataDir: "/var/lib/shoal",
    runDir: "/r",
    cgroupParent: "n1",
    hostname: "h1",
    labels: { zone: "a", ssd: "" },
    advertiseAddr: "10.0.0.3",
    join: { managers: ["10.0.0.1:7070", "10.0.0.2:7070"], token: "T" },
  });
  const noToken = parse(agentCommand, ["--join", "10.0.0.1:7070"]);
  assert.throws(
    () => agentOptions(noToken.ctx, noToken.p),
    (e: unknown) => e instanceof UsageError && /--join and --token go together/.test(e.message),
  );
});

test("--host takes repeats and comma lists, then SHOAL_HOST, then the recorded manager, then the default", (t) => {
  const ctx = (argv: string[], env: Record<string, string> = {}) =>
    new Context(captureIo({ env }), parseArgs(argv, { options: GLOBAL_OPTIONS }, "x")).hosts;
  assert.deepEqual(ctx(["--host", "a:1,b:2", "-H", "c:3"]), ["a:1", "b:2", "c:3"]);
  assert.deepEqual(ctx([], { SHOAL_HOST: "d:4, e:5" }), ["d:4", "e:5"]);
  assert.deepEqual(ctx(["--data-dir", "/nonexistent"]), ["127.0.0.1:7070"]);
  const dir = mkdtempSync(join(tmpdir(), "shoal-cli-ctx-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "context.json"), JSON.stringify({ managers: ["f:6"] }));
  assert.deepEqual(ctx(["--data-dir", dir]), ["f:6"], "the manager cluster init recorded");
  assert.deepEqual(ctx(["--data-dir", dir], { SHOAL_HOST: "d:4" }), ["d:4"], "SHOAL_HOST wins over the record");
});

test("shoal version prints the CLI's version even when no manager answers", async () => {
  const closed = new FakeServer();
  const addr = await closed.listen();
  await closed.close();
  const io = captureIo();
  assert.equal(await main(["version", "--host", addr], io), 0);
  assert.match(io.out(), /^Client:\n Version: {2}0\.1\.0\n[^]*Manager: not reachable \(cannot reach a manager/);
});

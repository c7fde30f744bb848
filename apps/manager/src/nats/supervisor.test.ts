import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { connectNatsBus, type BusConnection } from "@shoal/bus";
import { silentLogger } from "../log.js";
import { pollUntil } from "../testing/fixtures.js";
import { freePort, processExists } from "../testing/net.js";
import { NatsSupervisor, renderNatsConfig } from "./supervisor.js";

const NATS_SERVER = "/usr/sbin/nats-server";
const TOKEN = "test-bus-token-0123456789";

/** A supervised nats-server on free loopback ports, stopped and removed after the test. */
async function supervised(t: TestContext): Promise<NatsSupervisor> {
  const dir = mkdtempSync(join(tmpdir(), "shoal-nats-test-"));
  const sup = new NatsSupervisor({
    dir,
    listenAddr: "127.0.0.1",
    port: await freePort(),
    clusterPort: await freePort(),
    token: TOKEN,
    name: "test-manager",
    binary: NATS_SERVER,
    log: silentLogger,
  });
  t.after(async () => {
    await sup.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  sup.start();
  return sup;
}

async function connect(t: TestContext, sup: NatsSupervisor, name: string): Promise<BusConnection> {
  const bus = await pollUntil(
    () => connectNatsBus({ servers: [sup.url], token: TOKEN, name, connectTimeoutMs: 1_000 }).catch(() => undefined),
    `${name} connected to nats-server`,
    10_000,
    50,
  );
  t.after(() => bus.close());
  return bus;
}

/** nats-server processes running with this supervisor's config file. */
function serversOf(sup: NatsSupervisor): number[] {
  const pids: number[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").includes(sup.configFile)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const text = (d: Uint8Array) => Buffer.from(d).toString();

test("the config names the token, listen address, pid file and routes", () => {
  const conf = renderNatsConfig({
    listenAddr: "127.0.0.1",
    port: 7072,
    clusterPort: 7073,
    routes: ["nats-route://route:t@10.0.0.2:7073"],
    token: 'a"b',
    name: "m1",
    pidFile: "/run/x.pid",
  });
  assert.match(conf, /^listen: "127\.0\.0\.1:7072"$/m);
  assert.match(conf, /^authorization \{ token: "a\\"b" \}$/m);
  assert.match(conf, /^pid_file: "\/run\/x\.pid"$/m);
  assert.match(conf, /^ {2}routes: \["nats-route:\/\/route:t@10\.0\.0\.2:7073"\]$/m);
});

test("nats-server starts, accepts the bus token, and refuses a wrong one with a clear error", async (t) => {
  const sup = await supervised(t);
  const bus = await connect(t, sup, "client");
  const got = new Promise<string>((resolve) => bus.subscribe("hello", (m) => resolve(text(m.data))));
  await bus.flush();
  bus.publish("hello", Buffer.from("world"));
  assert.equal(await got, "world");
  await assert.rejects(
    connectNatsBus({ servers: [sup.url], token: "wrong", name: "intruder", connectTimeoutMs: 2_000 }),
    /refused the bus token: rejoin with a current join token/,
  );
});

test("a killed nats-server is restarted and clients reconnect; stop() leaves no process", async (t) => {
  const sup = await supervised(t);
  const responder = await connect(t, sup, "responder");
  const requester = await connect(t, sup, "requester");
  responder.subscribe("echo", (m) => m.respond(m.data));
  await responder.flush();
  assert.equal(text(await requester.request("echo", Buffer.from("one"), 2_000)), "one");

  const first = sup.pid;
  assert.ok(first !== undefined && processExists(first));
  process.kill(first, "SIGKILL");
  const second = await pollUntil(
    () => sup.pid !== undefined && sup.pid !== first && sup.pid,
    "a new nats-server",
    10_000,
  );
  assert.equal(sup.restarts, 1);
  // Both clients reconnect on their own and the responder's subscription comes back with them.
  const answer = await pollUntil(
    () => requester.request("echo", Buffer.from("two"), 500).then(text, () => undefined),
    "a request answered after the restart",
    15_000,
    100,
  );
  assert.equal(answer, "two");

  await sup.stop();
  assert.equal(processExists(second), false);
  assert.deepEqual(serversOf(sup), []);
});

test("stop() during the restart backoff does not start a new server", async (t) => {
  const sup = await supervised(t);
  await connect(t, sup, "client");
  const pid = sup.pid;
  assert.ok(pid !== undefined);
  process.kill(pid, "SIGKILL");
  // Once the supervisor saw the exit, its restart is pending (backoff); stop it then.
  await pollUntil(() => sup.pid === undefined, "the exit seen by the supervisor");
  await sup.stop();
  // Longer than the first backoff (100 ms): nothing was started again.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(serversOf(sup), []);
});

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { test, type TestContext } from "node:test";
import { testCa } from "@shoal/trust/testing";
import { busServer, NATS_SERVER, type BusServer, type TestBusClient } from "../testing/bus-server.js";
import { silentLogger } from "../log.js";
import { pollUntil, seededStore } from "../testing/fixtures.js";
import { processExists } from "../testing/net.js";
import { NatsSupervisor } from "./supervisor.js";

/** A supervised nats-server for a store with manager m1 and node n1. */
async function supervised(t: TestContext): Promise<BusServer> {
  return busServer(t, await seededStore({ nodes: [["m1", { role: "manager" }], "n1"] }));
}

/** A client with node n1's agent certificate or manager m1's. */
async function connect(server: BusServer, who: "n1" | "m1"): Promise<TestBusClient> {
  const ca = await testCa("c1");
  return server.connect(who === "m1" ? await ca.manager("m1") : await ca.agent("n1"), who);
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

test("a killed nats-server is restarted and clients reconnect; stop() leaves no process", async (t) => {
  const server = await supervised(t);
  const sup = server.sup;
  const responder = (await connect(server, "m1")).bus;
  const requester = (await connect(server, "m1")).bus;
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
  const server = await supervised(t);
  const sup = server.sup;
  await connect(server, "n1");
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

test("reload: the same config is not applied again unless forced (renewed certificate files)", async (t) => {
  const server = await supervised(t);
  await connect(server, "n1");
  const config = readFileSync(server.sup.configFile, "utf8");
  assert.deepEqual(await server.sup.reload(config), { result: "unchanged" });
  const forced = await server.sup.reload(config, { force: true });
  assert.equal(forced.result, "reloaded");
  assert.match(readFileSync(server.sup.logFile, "utf8"), /Reloaded server configuration/);
});

test(
  "a nats-server an earlier manager left running with this config is killed even without its pid file",
  { timeout: 20_000 },
  async (t) => {
    const server = await supervised(t);
    const config = readFileSync(server.sup.configFile, "utf8");
    await server.sup.stop();
    // What a manager killed with SIGKILL leaves: its server, holding the port, and (after `cluster leave`) no pid
    // file to find it by.
    const leftover = spawn(NATS_SERVER, ["-c", server.sup.configFile], { stdio: "ignore" });
    t.after(() => leftover.kill("SIGKILL"));
    const exited = new Promise((resolve) => leftover.once("exit", resolve));
    await pollUntil(() => existsSync(server.sup.pidFile), "the leftover server's pid file");
    rmSync(server.sup.pidFile);
    const next = new NatsSupervisor({
      dir: dirname(server.sup.configFile),
      listenAddr: "127.0.0.1",
      port: Number(new URL(server.sup.url).port),
      binary: NATS_SERVER,
      log: silentLogger,
    });
    t.after(() => next.stop());
    next.start(config);
    await exited;
    assert.deepEqual(serversOf(next), [next.pid]);
  },
);

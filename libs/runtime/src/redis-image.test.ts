import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import type { Runtime } from "./runtime.js";
import { ensureRedisTarball } from "./testing/busybox.js";
import { openTestRuntime, rootSkip as skip } from "./testing/runtime-fixture.js";

/** Resolves when the container's log has a line matching `re` (redis says when it accepts connections). */
async function logLine(rt: Runtime, id: string, re: RegExp): Promise<void> {
  for await (const e of rt.logs(id, { follow: true })) if (re.test(e.line)) return;
  throw new Error(`${id} ended without a log line matching ${String(re)}`);
}

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8" });

test(
  "the redis image runs redis-server in a netns; redis-cli answers inside and from another namespace",
  { skip },
  async (t) => {
    // Two namespaces joined by a veth: the container's, and a client's standing for another host.
    const prefix = `shoalrt-redis-${randomBytes(3).toString("hex")}`;
    const [server, client] = [`${prefix}-s`, `${prefix}-c`];
    t.after(() => {
      for (const ns of [server, client]) {
        try {
          ip("netns", "del", ns);
        } catch {
          // not made
        }
      }
    });
    ip("netns", "add", server);
    ip("netns", "add", client);
    ip("-n", server, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", client);
    for (const [ns, addr] of [
      [server, "192.0.2.1"],
      [client, "192.0.2.2"],
    ] as const) {
      ip("-n", ns, "addr", "add", `${addr}/30`, "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }

    const f = await openTestRuntime({}, { loadBusybox: false });
    t.after(f.cleanup);
    const rt = f.runtime;
    const [image] = (await rt.images.load(await ensureRedisTarball())).images;
    assert.ok(image !== undefined);
    assert.equal(image.config.workingDir, "/data");
    assert.deepEqual(image.config.exposedPorts, ["6379/tcp"]);

    await rt.create({ id: "redis", image: "redis", network: { mode: "path", path: `/run/netns/${server}` } });
    await rt.start("redis");
    await logLine(rt, "redis", /Ready to accept connections/);

    const cli = async (...args: string[]): Promise<string> => {
      const r = await rt.exec("redis", { cmd: ["redis-cli", ...args], timeoutMs: 10_000 });
      assert.equal(r.exitCode, 0, r.stderr);
      return r.stdout.trim();
    };
    assert.equal(await cli("PING"), "PONG");
    assert.equal(await cli("SET", "greeting", "hello"), "OK");
    assert.equal(await cli("GET", "greeting"), "hello");
    assert.equal(await cli("CONFIG", "GET", "dir"), "dir\n/data", "it runs in its WorkingDir");

    // Another host reaches it over the veth: it listens on every address and protected mode is off.
    const remote = execFileSync("ip", ["netns", "exec", client, "redis-cli", "-h", "192.0.2.1", "GET", "greeting"], {
      encoding: "utf8",
      timeout: 10_000,
    });
    assert.equal(remote.trim(), "hello");

    await rt.stop("redis", { graceMs: 5_000 });
    assert.equal((await rt.inspect("redis")).status, "stopped");
  },
);

import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { openBridgeNetwork } from "./bridge-network.js";
import { InvalidSpecError, NetworkNotReadyError } from "./errors.js";
import { renderRuleset } from "./nft-ruleset.js";
import type { RunCommand } from "./run-command.js";

/** A fake system: answers the `ip -j` queries from a list of links and records every command. */
function fakeSystem(links: { ifname: string; mtu: number; linkinfo?: { info_kind: string } }[]) {
  const calls: { cmd: string; input?: string }[] = [];
  const exec: RunCommand = (file, args, options) => {
    const cmd = [file, ...args].join(" ");
    calls.push(options?.input === undefined ? { cmd } : { cmd, input: options.input });
    if (cmd === "ip -j -d link show") return Promise.resolve({ stdout: JSON.stringify(links) });
    if (cmd === "ip -j route show default") return Promise.resolve({ stdout: JSON.stringify([{ dst: "default", dev: "up0" }]) });
    if (cmd === "ip -j netns list") return Promise.resolve({ stdout: "" });
    return Promise.resolve({ stdout: "" });
  };
  return { calls, exec };
}

async function stateDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "overlay-cmd-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("setup makes the bridge with the uplink's MTU, the sysctls and the table in one transaction", async (t) => {
  const sys = fakeSystem([{ ifname: "up0", mtu: 1450 }]);
  const net = openBridgeNetwork({ stateDir: await stateDir(t), exec: sys.exec });
  await net.setup();
  assert.deepEqual(
    sys.calls.map((c) => c.cmd),
    [
      "ip -j -d link show",
      "ip link add shoal0 address 02:53:0a:d3:00:01 type bridge",
      "ip -j route show default",
      "ip link set shoal0 mtu 1450 up",
      "ip addr replace 10.211.0.1/16 dev shoal0",
      "sysctl -q -w net/ipv4/ip_forward=1 net/ipv4/conf/shoal0/route_localnet=1",
      "nft -f -",
    ],
  );
  assert.equal(sys.calls.at(-1)?.input, renderRuleset({ table: "shoal", bridge: "shoal0", subnet: "10.211.0.0/16" }, []));
});

test("a device of another kind under the bridge's name is refused", async (t) => {
  const sys = fakeSystem([{ ifname: "shoal0", mtu: 1500, linkinfo: { info_kind: "veth" } }]);
  const net = openBridgeNetwork({ stateDir: await stateDir(t), exec: sys.exec });
  await assert.rejects(net.setup(), /a veth device named shoal0 exists and is not a bridge/);
});

test("publish is one nft transaction, and invalid rules or task ids run no command at all", async (t) => {
  const sys = fakeSystem([]);
  const net = openBridgeNetwork({ stateDir: await stateDir(t), exec: sys.exec, bridge: "br1", table: "t1", subnet: "10.5.0.0/24" });
  const rules = [{ protocol: "tcp" as const, publishedPort: 8080, targetPort: 80, backends: ["10.5.0.2", "10.5.0.3"] }];
  await net.publish(rules);
  assert.deepEqual(sys.calls, [{ cmd: "nft -f -", input: renderRuleset({ table: "t1", bridge: "br1", subnet: "10.5.0.0/24" }, rules) }]);
  sys.calls.length = 0;
  await assert.rejects(net.publish([{ ...rules[0]!, publishedPort: 0 }]), InvalidSpecError);
  await assert.rejects(net.attach("../x"), InvalidSpecError);
  await assert.rejects(net.detach(""), InvalidSpecError);
  assert.deepEqual(sys.calls, []);
  await assert.rejects(net.attach("a"), NetworkNotReadyError, "attach before setup");
});

test("options that would make bad kernel names are refused when the network is opened", () => {
  assert.throws(() => openBridgeNetwork({ stateDir: "/x", bridge: "much-too-long-bridge" }), /invalid bridge/);
  assert.throws(() => openBridgeNetwork({ stateDir: "/x", subnet: "10.0.0.1/8" }), /did you mean 10\.0\.0\.0\/8/);
  assert.throws(() => openBridgeNetwork({ stateDir: "" }), /invalid stateDir/);
});

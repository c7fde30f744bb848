import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { linkGroupOf, openBridgeNetwork } from "./bridge-network.js";
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
    if (cmd === "ip -j route show default")
      return Promise.resolve({ stdout: JSON.stringify([{ dst: "default", dev: "up0" }]) });
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
  assert.equal(
    sys.calls.at(-1)?.input,
    renderRuleset({ table: "shoal", bridge: "shoal0", subnet: "10.211.0.0/16" }, []),
  );
});

test("a device of another kind under the bridge's name is refused", async (t) => {
  const sys = fakeSystem([{ ifname: "shoal0", mtu: 1500, linkinfo: { info_kind: "veth" } }]);
  const net = openBridgeNetwork({ stateDir: await stateDir(t), exec: sys.exec });
  await assert.rejects(net.setup(), /a veth device named shoal0 exists and is not a bridge/);
});

test("publish is one nft transaction, and invalid rules or task ids run no command at all", async (t) => {
  const sys = fakeSystem([]);
  const net = openBridgeNetwork({
    stateDir: await stateDir(t),
    exec: sys.exec,
    bridge: "br1",
    table: "t1",
    subnet: "10.5.0.0/24",
  });
  const rules = [{ protocol: "tcp" as const, publishedPort: 8080, targetPort: 80, backends: ["10.5.0.2", "10.5.0.3"] }];
  await net.publish(rules);
  assert.deepEqual(sys.calls, [
    { cmd: "nft -f -", input: renderRuleset({ table: "t1", bridge: "br1", subnet: "10.5.0.0/24" }, rules) },
  ]);
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

test("attaches made together cost one `ip -batch` and one shell, and a namespace the shell names as failed is retried alone", async (t) => {
  const sys = fakeSystem([{ ifname: "shoal0", mtu: 1500, linkinfo: { info_kind: "bridge" } }]);
  const exec: RunCommand = (file, args, options) => {
    // The shell reports the second task's namespace as failed.
    if (file === "sh") return sys.exec(file, args, options).then(() => ({ stdout: "b\n" }));
    return sys.exec(file, args, options);
  };
  const net = openBridgeNetwork({ stateDir: await stateDir(t), exec });
  const [a, b, c] = await Promise.all([net.attach("a"), net.attach("b"), net.attach("c")]);
  assert.deepEqual(
    sys.calls.map((x) => x.cmd),
    ["ip -j -d link show", "ip -j netns list", "ip -batch -", "sh -s", "ip -n shoal-b -batch -"],
  );
  const batch = sys.calls[2]?.input ?? "";
  for (const ns of ["shoal-a", "shoal-b", "shoal-c"]) assert.match(batch, new RegExp(`^netns add ${ns}$`, "m"));
  assert.equal(batch.match(/^link add /gm)?.length, 3);
  assert.equal(sys.calls[3]?.input?.match(/^ip -n 'shoal-[abc]' -batch - <<'END' \|\| echo '[abc]'$/gm)?.length, 3);
  assert.deepEqual([a?.address, b?.address, c?.address], ["10.211.0.2", "10.211.0.3", "10.211.0.4"]);
});

test("detaches made together delete their veths as one link group and their namespaces in one `ip -batch`", async (t) => {
  const sys = fakeSystem([{ ifname: "shoal0", mtu: 1500, linkinfo: { info_kind: "bridge" } }]);
  const dir = await stateDir(t);
  const net = openBridgeNetwork({ stateDir: dir, exec: sys.exec });
  await Promise.all([net.attach("a"), net.attach("b")]);
  // The system now has what the attaches made.
  const withTasks = fakeSystem([{ ifname: "shoal0", mtu: 1500, linkinfo: { info_kind: "bridge" } }]);
  const exec: RunCommand = (file, args, options) => {
    const cmd = [file, ...args].join(" ");
    if (cmd === "ip -j -d link show")
      return Promise.resolve({
        stdout: JSON.stringify([
          { ifname: "shoal0", mtu: 1500 },
          { ifname: vethOf("a"), mtu: 1500 },
          { ifname: vethOf("b"), mtu: 1500 },
        ]),
      });
    if (cmd === "ip -j netns list")
      return Promise.resolve({ stdout: JSON.stringify([{ name: "shoal-a" }, { name: "shoal-b" }]) });
    return withTasks.exec(file, args, options);
  };
  const state = JSON.parse(await readFile(join(dir, "bridge-shoal0.json"), "utf8")) as {
    tasks: Record<string, { veth: string }>;
  };
  const vethOf = (id: string): string => state.tasks[id]?.veth ?? "";
  const again = openBridgeNetwork({ stateDir: dir, exec });
  await Promise.all([again.detach("a"), again.detach("b")]);
  assert.deepEqual(
    withTasks.calls.map((c) => c.cmd),
    ["sh -s", "ip -batch -"],
  );
  const group = linkGroupOf("shoal0");
  assert.equal(
    withTasks.calls[1]?.input,
    [
      `link set ${vethOf("a")} group ${group}`,
      `link set ${vethOf("b")} group ${group}`,
      `link del group ${group}`,
      "netns del shoal-a",
      "netns del shoal-b",
      "",
    ].join("\n"),
  );
  assert.notEqual(linkGroupOf("shoal0"), linkGroupOf("shoal1"));
});

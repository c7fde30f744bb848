import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError, NetworkCommandError, OverlayStepError, UnderlayAddressError } from "./errors.js";
import type { OverlayDesiredState } from "./overlay-types.js";
import type { RunCommand } from "./run-command.js";
import { openVxlanOverlay } from "./vxlan-overlay.js";

/** A fake node with one uplink and one task netns and no overlay yet; records commands, fails `failing` ones. */
function fakeNode(failing?: { cmd: string; stderr: string }, netns = [{ name: "task1" }]) {
  const calls: string[] = [];
  const exec: RunCommand = (file, args, options) => {
    const cmd = [file, ...args].join(" ");
    calls.push(cmd);
    if (cmd === failing?.cmd) return Promise.reject(new NetworkCommandError([file, ...args], failing.stderr));
    if (cmd === "ip -j -d -batch -" && options?.input === "netns list\naddr show\n") {
      const links = [
        {
          ifname: "up0",
          ifindex: 2,
          mtu: 9000,
          address: "02:00:00:00:00:01",
          flags: ["UP"],
          addr_info: [{ family: "inet", local: "192.168.1.1", prefixlen: 24 }],
        },
      ];
      // ip prints nothing at all for an empty netns list.
      return Promise.resolve({
        stdout: `${netns.length === 0 ? "" : JSON.stringify(netns) + "\n"}${JSON.stringify(links)}\n`,
      });
    }
    return Promise.resolve({ stdout: "" });
  };
  return { calls, exec };
}

const desired: OverlayDesiredState = {
  networks: [{ id: "n1", vni: 4097, subnet: "10.0.9.0/24", gateway: "10.0.9.1" }],
  attachments: [{ networkId: "n1", netns: "task1", address: "10.0.9.2" }],
  remotes: [],
  vips: [],
};

test("a reconcile reads the node and the task netns that get a port, and applies each netns' work in one batch", async () => {
  const sys = fakeNode();
  const plan = await openVxlanOverlay({ underlayAddress: "192.168.1.1", exec: sys.exec }).reconcile(desired);
  assert.deepEqual(sys.calls, [
    "ip -j -d -batch -",
    'sh -c for ns do echo "@@$ns"; ip -n "$ns" -j link show || true; echo; done sh task1',
    "ip -batch -",
    "ip netns exec shov-n1 sysctl -q -w net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1",
    "ip -n shov-n1 -batch -",
    "ip -n task1 -batch -",
    "ip -n shov-n1 -batch -",
    "ip netns exec shov-n1 nft -f -",
  ]);
  assert.ok(
    plan.steps[0]?.lines.some((l) => l.includes("link add vx-4097 mtu 8950 type vxlan")),
    "MTU: the underlay's minus 50",
  );
});

test("an underlay address on no interface of the node is refused before anything changes", async () => {
  const sys = fakeNode();
  const overlay = openVxlanOverlay({ underlayAddress: "192.168.7.7", exec: sys.exec });
  await assert.rejects(
    overlay.reconcile(desired),
    (err: unknown) => err instanceof UnderlayAddressError && /192\.168\.1\.1\/24/.test(err.message),
  );
  assert.ok(sys.calls.every((c) => !c.endsWith("-batch -") || c === "ip -j -d -batch -"));
  assert.throws(() => openVxlanOverlay({ underlayAddress: "node-a" }), InvalidSpecError);
  assert.throws(() => openVxlanOverlay({ underlayAddress: "10.0.0.1", netnsPrefix: "a/b" }), InvalidSpecError);
});

test("a failed batch names the netns and the line the tool reported", async () => {
  const sys = fakeNode({
    cmd: "ip -n shov-n1 -batch -",
    stderr: "RTNETLINK answers: File exists\nCommand failed -:4\n",
  });
  const overlay = openVxlanOverlay({ underlayAddress: "192.168.1.1", exec: sys.exec });
  await assert.rejects(overlay.reconcile(desired), (err: unknown) => {
    assert.ok(err instanceof OverlayStepError);
    assert.equal(err.netns, "shov-n1");
    assert.equal(err.line, "link set vx-4097 mtu 8950 master br0 up");
    assert.match(err.message, /netns shov-n1 failed at `link set vx-4097 .*`: RTNETLINK answers: File exists/);
    return true;
  });
});

test("a node without any netns yet: the empty list ip leaves out shifts nothing", async () => {
  const sys = fakeNode(undefined, []);
  const plan = await openVxlanOverlay({ underlayAddress: "192.168.1.1", exec: sys.exec }).reconcile(desired);
  assert.deepEqual(plan.missingTasks, ["task1"]);
  assert.ok(plan.steps[0]?.lines.includes("netns add shov-n1"));
});

test("when only VIP backends change, the VIP table is rewritten without reading the node; an unchanged state reads it again", async () => {
  const sys = fakeNode();
  const overlay = openVxlanOverlay({ underlayAddress: "192.168.1.1", exec: sys.exec });
  const withVip = (backends: string[]): OverlayDesiredState => ({
    ...desired,
    vips: [{ networkId: "n1", vip: "10.0.9.100", backends }],
  });
  await overlay.reconcile(withVip([]));
  sys.calls.length = 0;
  const plan = await overlay.reconcile(withVip(["10.0.9.2"]));
  assert.deepEqual(sys.calls, ["ip netns exec shov-n1 nft -f -"]);
  assert.match(plan.steps[0]?.lines.join("\n") ?? "", /ip daddr 10\.0\.9\.100 dnat to 10\.0\.9\.2/);
  sys.calls.length = 0;
  await overlay.reconcile(withVip(["10.0.9.2"]));
  assert.equal(sys.calls[0], "ip -j -d -batch -", "the same state again: a full reconcile");
});

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { test, type TestContext } from "node:test";
import { macOf } from "./bridge-network.js";
import { runCommand, type RunCommand } from "./run-command.js";
import {
  hostAddresses,
  rootSkip as skip,
  seededRandom,
  sh,
  startEchoServer,
  stopProcess,
  succeeds,
} from "./testing/net-fixture.js";
import type { OverlayDesiredState, RemoteEndpointSpec } from "./overlay-types.js";
import { openVxlanOverlay, type VxlanOverlayOptions } from "./vxlan-overlay.js";

const seed = Number(process.env.SHOAL_TEST_SEED ?? Date.now() % 2 ** 31);
const random = seededRandom(seed);
console.log(`overlay vxlan tests: seed ${seed} (set SHOAL_TEST_SEED=${seed} to replay)`);

/** A /30 in 172.16.0.0/12 that no address or route of this host touches: the "underlay" between two nodes. */
function freeUnderlay(): [string, string] {
  const used =
    sh("ip", "-4", "route", "show", "table", "all") +
    hostAddresses()
      .map((a) => a.local)
      .join(" ");
  for (;;) {
    const prefix = `172.${16 + random(16)}.${random(256)}.`;
    const base = 4 * random(64);
    if (!used.includes(prefix)) return [`${prefix}${base + 1}`, `${prefix}${base + 2}`];
  }
}

interface TwoNodes {
  id: string;
  a: VxlanOverlayOptions;
  b: VxlanOverlayOptions;
  /** Makes a task netns (plain `ip netns add`) and returns its name. */
  task: (name: string) => string;
  processes: ChildProcess[];
  /** The overlay subnet's /24 prefix, e.g. "10.77.3." */
  net: string;
}

/** Runs a node's commands inside its netns; nsenter changes the netns only, so `ip netns add` stays visible. */
function inNode(node: string): RunCommand {
  return (file, args, options) => runCommand("nsenter", [`--net=/run/netns/${node}`, file, ...args], options);
}

/**
 * Two "nodes" (netns joined by a veth with underlay addresses in a free /30) and an after hook that removes
 * everything with this run's prefix, also when the test failed.
 */
function twoNodes(t: TestContext): TwoNodes {
  const id = `ovt${random(36 ** 4).toString(36)}`;
  const [ua, ub] = freeUnderlay();
  console.log(`overlay vxlan tests: prefix ${id}, underlay ${ua} - ${ub}`);
  const nodeA = `${id}A`;
  const nodeB = `${id}B`;
  const processes: ChildProcess[] = [];
  t.after(async () => {
    await Promise.all(processes.map(stopProcess));
    for (const line of sh("ip", "netns", "list").split("\n")) {
      const name = line.split(" ")[0] ?? "";
      if (name.startsWith(id)) succeeds("ip", "netns", "del", name);
    }
  });
  sh("ip", "netns", "add", nodeA);
  sh("ip", "netns", "add", nodeB);
  sh("ip", "-n", nodeA, "link", "add", "under0", "type", "veth", "peer", "name", "under0", "netns", nodeB);
  for (const [node, addr] of [
    [nodeA, ua],
    [nodeB, ub],
  ] as const) {
    sh("ip", "-n", node, "addr", "add", `${addr}/30`, "dev", "under0");
    sh("ip", "-n", node, "link", "set", "under0", "up");
    sh("ip", "-n", node, "link", "set", "lo", "up");
  }
  return {
    id,
    a: { underlayAddress: ua, netnsPrefix: `${id}A-`, vipTable: "vip_test", exec: inNode(nodeA) },
    b: { underlayAddress: ub, netnsPrefix: `${id}B-`, vipTable: "vip_test", exec: inNode(nodeB) },
    task: (name) => {
      sh("ip", "netns", "add", `${id}${name}`);
      return `${id}${name}`;
    },
    processes,
    net: `10.${100 + random(100)}.${random(256)}.`,
  };
}

function remote(networkId: string, address: string, nodeAddress: string): RemoteEndpointSpec {
  return { networkId, address, mac: macOf(address), nodeAddress };
}

function pings(ns: string, address: string): boolean {
  return succeeds("ip", "netns", "exec", ns, "busybox", "ping", "-c", "1", "-W", "2", address);
}

test(
  "tasks on two nodes reach each other over VXLAN; networks are isolated; removed endpoints are unreachable",
  { skip },
  async (t) => {
    const n = twoNodes(t);
    const [a1, b1, b2] = [n.task("a1"), n.task("b1"), n.task("b2")];
    const vni = 4096 + random(10000);
    const [ip1, ip2, ip3] = [`${n.net}2`, `${n.net}3`, `${n.net}4`];
    // Both networks use the same subnet, so only the VNI keeps them apart.
    const networks = [
      { id: "net1xxxxxxxxxxxx", vni, subnet: `${n.net}0/24`, gateway: `${n.net}1` },
      { id: "net2xxxxxxxxxxxx", vni: vni + 1, subnet: `${n.net}0/24`, gateway: `${n.net}1` },
    ];
    const onA: OverlayDesiredState = {
      networks,
      attachments: [{ networkId: "net1xxxxxxxxxxxx", netns: a1, address: ip1 }],
      // ip3 is b2's address on net2: listing it under net1 must not let net1 traffic reach it.
      remotes: [
        remote("net1xxxxxxxxxxxx", ip2, n.b.underlayAddress),
        remote("net1xxxxxxxxxxxx", ip3, n.b.underlayAddress),
      ],
      vips: [],
    };
    const onB: OverlayDesiredState = {
      networks,
      attachments: [
        { networkId: "net1xxxxxxxxxxxx", netns: b1, address: ip2 },
        { networkId: "net2xxxxxxxxxxxx", netns: b2, address: ip3 },
      ],
      remotes: [remote("net1xxxxxxxxxxxx", ip1, n.a.underlayAddress)],
      vips: [],
    };
    const A = openVxlanOverlay(n.a);
    const B = openVxlanOverlay(n.b);
    const first = await A.reconcile(onA);
    assert.ok(first.steps.length > 0);
    await B.reconcile(onB);

    assert.ok(pings(a1, ip2), "a task on A reaches a task on B by its overlay address");
    assert.ok(pings(b1, ip1), "and back");
    assert.ok(!pings(a1, ip3), "a task on another VNI is not reachable");
    const eth1 = JSON.parse(sh("ip", "-n", a1, "-j", "link", "show", "eth1")) as { mtu: number; address: string }[];
    assert.deepEqual(
      eth1.map((l) => [l.mtu, l.address]),
      [[1450, macOf(ip1)]],
      "underlay MTU - 50, MAC from the address",
    );

    assert.deepEqual((await A.reconcile(onA)).steps, [], "a second reconcile changes nothing");
    const calls: string[] = [];
    const exec: RunCommand = (file, args, options) => {
      calls.push([file, ...args].join(" "));
      return inNode(`${n.id}A`)(file, args, options);
    };
    assert.deepEqual(
      (await openVxlanOverlay({ ...n.a, exec }).reconcile(onA)).steps,
      [],
      "a new object adopts what exists",
    );
    assert.deepEqual(
      calls.filter((c) => c.includes(a1)),
      [],
      "without reading the netns of tasks whose port is finished",
    );

    const without = { ...onA, remotes: onA.remotes.filter((r) => r.address !== ip2) };
    await openVxlanOverlay(n.a).reconcile(without);
    const netns = `${n.a.netnsPrefix}net1xxxxxxxx`;
    assert.doesNotMatch(sh("ip", "-n", netns, "neigh", "show"), new RegExp(`${ip2.replaceAll(".", "\\.")} `));
    assert.doesNotMatch(
      sh("bridge", "-n", netns, "fdb", "show"),
      new RegExp(`${macOf(ip2)} dev vx-\\d+ dst`),
      "its forwarding entry is gone",
    );
    assert.ok(!pings(a1, ip2), "a removed endpoint is no longer reached");

    await A.removeNetwork("net1xxxxxxxxxxxx");
    assert.ok(!succeeds("ip", "netns", "exec", netns, "true"), "removeNetwork deletes the network's netns");
    assert.ok(!succeeds("ip", "-n", a1, "link", "show", "eth1"), "and the task's interface on it");
    await B.teardown();
    await A.teardown();
    const left = sh("ip", "netns", "list");
    assert.doesNotMatch(left, new RegExp(`${n.id}[AB]-`), "teardown leaves no network netns");
    for (const node of [`${n.id}A`, `${n.id}B`]) assert.doesNotMatch(sh("ip", "-n", node, "link", "show"), /vx-/);
    for (const task of [b1, b2]) assert.ok(!succeeds("ip", "-n", task, "link", "show", "eth1"));
  },
);

test("a VIP balances over tasks on both nodes, follows its backends and refuses without any", { skip }, async (t) => {
  const n = twoNodes(t);
  const [a1, a2, b1] = [n.task("a1"), n.task("a2"), n.task("b1")];
  const [ipA1, ipA2, ipB1, vip] = [`${n.net}2`, `${n.net}3`, `${n.net}4`, `${n.net}100`];
  const net = { id: "svcnet", vni: 4096 + random(10000), subnet: `${n.net}0/24`, gateway: `${n.net}1` };
  const port = 20000 + random(10000);
  n.processes.push(await startEchoServer(a1, "a1", port), await startEchoServer(b1, "b1", port));
  const state = (backends: string[]): [OverlayDesiredState, OverlayDesiredState] => [
    {
      networks: [net],
      attachments: [
        { networkId: "svcnet", netns: a1, address: ipA1 },
        { networkId: "svcnet", netns: a2, address: ipA2 },
      ],
      remotes: [remote("svcnet", ipB1, n.b.underlayAddress)],
      vips: [{ networkId: "svcnet", vip, backends }],
    },
    {
      networks: [net],
      attachments: [{ networkId: "svcnet", netns: b1, address: ipB1 }],
      remotes: [remote("svcnet", ipA1, n.a.underlayAddress), remote("svcnet", ipA2, n.a.underlayAddress)],
      vips: [{ networkId: "svcnet", vip, backends }],
    },
  ];
  const A = openVxlanOverlay(n.a);
  const B = openVxlanOverlay(n.b);
  const apply = async (backends: string[]): Promise<void> => {
    const [sa, sb] = state(backends);
    await A.reconcile(sa);
    await B.reconcile(sb);
  };
  const ask = (from: string): string =>
    sh("ip", "netns", "exec", from, "busybox", "nc", "-w", "5", vip, String(port)).trim();
  const answers = (times: number): string[] => {
    const names = new Set<string>();
    for (let i = 0; i < times; i++) names.add(ask(a2));
    return [...names].sort();
  };

  await apply([ipA1, ipB1]);
  assert.deepEqual(
    answers(16),
    [`a1 ${ipA2}`, `b1 ${ipA2}`],
    "connections to the VIP reach the tasks on both nodes, which see the client's own address",
  );
  assert.deepEqual(
    (await openVxlanOverlay(n.a).reconcile(state([ipA1, ipB1])[0])).steps,
    [],
    "VIP tables are adopted as they are",
  );

  await apply([ipA1]);
  assert.match(ask(a1), /^a1 /, "a task reaches itself through the VIP");

  await apply([ipB1]);
  assert.deepEqual(answers(4), [`b1 ${ipA2}`]);

  await apply([]);
  assert.ok(
    !succeeds("ip", "netns", "exec", a2, "busybox", "nc", "-w", "5", vip, String(port)),
    "a VIP without backends refuses",
  );

  await A.teardown();
  await B.teardown();
  for (const task of [a1, a2, b1])
    assert.ok(!succeeds("ip", "-n", task, "link", "show", "eth1"), "teardown removes the tasks' interfaces");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError } from "./errors.js";
import type { ObservedNetworkNs, ObservedNode } from "./overlay-observed.js";
import { bridgeMac, NETWORK_SYSCTLS, planOverlay, portName } from "./overlay-plan.js";
import { vipTableBody } from "./vip-ruleset.js";
import type { OverlayDesiredState } from "./overlay-types.js";

const names = { netnsPrefix: "shov-", vipTable: "vip" };
const net = { id: "n1", vni: 4097, subnet: "10.0.9.0/24", gateway: "10.0.9.1" };
const desired: OverlayDesiredState = {
  networks: [net],
  attachments: [{ networkId: "n1", netns: "task1", address: "10.0.9.2" }],
  remotes: [{ networkId: "n1", address: "10.0.9.3", mac: "02:53:0a:00:09:03", nodeAddress: "192.168.1.2" }],
  vips: [{ networkId: "n1", vip: "10.0.9.100", backends: ["10.0.9.2", "10.0.9.3"] }],
};
const lo = { ifname: "lo", ifindex: 1, mtu: 65536, mac: "", up: true, addrs: [] };
const node = (networks: [string, ObservedNetworkNs][] = [], netns = ["task1"]): ObservedNode => ({
  netns: new Set([...netns, ...networks.map(([n]) => n)]),
  links: [{ ifname: "eth0", ifindex: 2, mtu: 1500, mac: "", up: true, addrs: ["192.168.1.1/24"] }],
  networks: new Map(networks),
  tasks: new Map(netns.map((n) => [n, { links: [lo, { ...lo, ifname: "eth0", ifindex: 2, mtu: 1500 }] }])),
});
const plan = (d: OverlayDesiredState, o: ObservedNode) =>
  planOverlay({ desired: d, observed: o, names, underlay: "192.168.1.1", mtu: 1450 });

test("a new network: netns and VXLAN made in the node's netns, then bridge with gateway and VIPs, port, neighbour, fdb, address, port on the bridge, VIP table", () => {
  const p = plan(desired, node());
  const port = portName("task1");
  assert.deepEqual(
    p.steps.map((s) => [s.tool, s.netns ?? "node", s.lines.filter((l) => !l.startsWith("\t"))]),
    [
      [
        "ip",
        "node",
        [
          "netns add shov-n1",
          "link add vx-4097 mtu 1450 type vxlan id 4097 dstport 4789 nolearning proxy local 192.168.1.1",
          "link set vx-4097 netns shov-n1",
        ],
      ],
      ["sysctl", "shov-n1", ["net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"]],
      [
        "ip",
        "shov-n1",
        [
          `link add br0 address ${bridgeMac("192.168.1.1")} type bridge`,
          "link set br0 mtu 1450 up",
          "addr replace 10.0.9.1/24 dev br0",
          "addr replace 10.0.9.100/32 dev br0",
          "link set vx-4097 mtu 1450 master br0 up",
          "neigh replace 10.0.9.3 lladdr 02:53:0a:00:09:03 dev vx-4097 nud permanent",
          `link add ${port} mtu 1450 type veth peer name eth1 mtu 1450 address 02:53:0a:00:09:02 netns task1`,
        ],
      ],
      ["bridge", "shov-n1", ["fdb replace 02:53:0a:00:09:03 dev vx-4097 dst 192.168.1.2 self permanent"]],
      ["ip", "task1", ["addr replace 10.0.9.2/24 dev eth1", "link set eth1 up"]],
      [
        "ip",
        "shov-n1",
        [
          `link set ${port} master br0`,
          `link set ${port} type bridge_slave hairpin on`,
          `link set ${port} alias 10.0.9.2 up`,
        ],
      ],
      ["nft", "shov-n1", ["table ip vip {}", "delete table ip vip", "table ip vip {", "}"]],
    ],
  );
  assert.equal(bridgeMac("192.168.1.1"), "02:54:c0:a8:01:01");
  const nft = p.steps.at(-1)?.lines.join("\n") ?? "";
  assert.match(
    nft,
    /hook prerouting[^}]*ip daddr 10\.0\.9\.100 dnat to numgen random mod 2 map \{ 0 : 10\.0\.9\.2, 1 : 10\.0\.9\.3 \}/,
  );
  assert.match(
    nft,
    /hook postrouting[^}]*ip saddr 10\.0\.9\.2 ip daddr 10\.0\.9\.2 ct status dnat masquerade/,
    "a local backend reaching itself through the VIP is masqueraded",
  );
  assert.doesNotMatch(nft, /10\.0\.9\.3 ip daddr/, "remote backends need no hairpin rule");
});

test("a finished port is recognised from the network's side; one without its alias is made again", () => {
  const port = portName("task1");
  const vx = {
    ifname: "vx-4097",
    ifindex: 3,
    mtu: 1450,
    mac: "",
    up: true,
    master: "br0",
    kind: "vxlan",
    addrs: [],
    vxlan: { vni: 4097, local: "192.168.1.1", port: 4789, learning: false, proxy: true },
  };
  const br = {
    ifname: "br0",
    ifindex: 2,
    mtu: 1450,
    mac: bridgeMac("192.168.1.1"),
    up: true,
    kind: "bridge",
    addrs: ["10.0.9.1/24", "10.0.9.100/32"],
  };
  const veth = {
    ifname: port,
    ifindex: 4,
    mtu: 1450,
    mac: "",
    up: true,
    master: "br0",
    kind: "veth",
    addrs: [],
    peer: { netns: "task1", ifindex: 2 },
    alias: "10.0.9.2",
    hairpin: true,
  };
  const d = { ...desired, vips: [] };
  const marker = vipTableBody([], ["10.0.9.2"]).marker;
  const o = (links: ObservedNetworkNs["links"]): ObservedNode =>
    node([
      [
        "shov-n1",
        {
          links,
          neigh: [{ address: "10.0.9.3", mac: "02:53:0a:00:09:03" }],
          fdb: [{ mac: "02:53:0a:00:09:03", dst: "192.168.1.2" }],
          sysctls: { ...NETWORK_SYSCTLS },
          vipMarker: marker,
        },
      ],
    ]);
  const whole = plan(d, o([{ ...br, addrs: ["10.0.9.1/24"] }, vx, veth]));
  assert.deepEqual(whole.steps, [], "nothing to do");
  const { alias: _, ...noAlias } = veth;
  const unfinished = plan(d, o([{ ...br, addrs: ["10.0.9.1/24"] }, vx, noAlias]));
  assert.deepEqual(unfinished.steps[0], { tool: "ip", netns: "shov-n1", lines: [`link del ${port}`] });
  assert.ok(unfinished.steps.some((s) => s.lines.some((l) => l.startsWith(`link add ${port}`))));
  const vipGone = plan(d, o([br, vx, veth]));
  assert.deepEqual(
    vipGone.steps.map((s) => s.lines),
    [["addr del 10.0.9.100/32 dev br0"]],
    "a VIP no longer wanted leaves the bridge",
  );
});

test("stale networks, endpoints and VXLAN devices of another VNI are removed before anything is made", () => {
  const vx = {
    ifname: "vx-4097",
    ifindex: 3,
    mtu: 1450,
    mac: "",
    up: true,
    master: "br0",
    kind: "vxlan",
    addrs: [],
    vxlan: { vni: 4097, local: "192.168.1.1", port: 4789, learning: false, proxy: true },
  };
  const br = {
    ifname: "br0",
    ifindex: 2,
    mtu: 1450,
    mac: bridgeMac("192.168.1.1"),
    up: true,
    kind: "bridge",
    addrs: ["10.0.9.1/24"],
  };
  const sysctls = { ...NETWORK_SYSCTLS };
  const vipMarker = vipTableBody([], []).marker;
  const n1: ObservedNetworkNs = {
    links: [br, vx],
    neigh: [{ address: "10.0.9.7", mac: "02:53:0a:00:09:07" }],
    fdb: [{ mac: "02:53:0a:00:09:07", dst: "192.168.1.9" }],
    sysctls,
    vipMarker,
  };
  const old: ObservedNetworkNs = { links: [{ ...vx, ifname: "vx-5000" }], neigh: [], fdb: [], sysctls };
  const p = plan(
    { ...desired, attachments: [], vips: [] },
    node([
      ["shov-n1", n1],
      ["shov-old", old],
    ]),
  );
  assert.deepEqual(
    p.steps.map((s) => [s.tool, s.netns ?? "node", s.lines]),
    [
      ["ip", "shov-old", ["link del vx-5000"]],
      ["ip", "node", ["netns del shov-old"]],
      [
        "ip",
        "shov-n1",
        ["neigh replace 10.0.9.3 lladdr 02:53:0a:00:09:03 dev vx-4097 nud permanent", "neigh del 10.0.9.7 dev vx-4097"],
      ],
      [
        "bridge",
        "shov-n1",
        [
          "fdb replace 02:53:0a:00:09:03 dev vx-4097 dst 192.168.1.2 self permanent",
          "fdb del 02:53:0a:00:09:07 dev vx-4097 self",
        ],
      ],
    ],
  );
  const changedVni = plan(
    { ...desired, networks: [{ ...net, vni: 4098 }], attachments: [], vips: [] },
    node([["shov-n1", n1]]),
  );
  assert.deepEqual(changedVni.steps[0], { tool: "ip", netns: "shov-n1", lines: ["link del vx-4097"] });
});

test("attachments of missing task netns are skipped and reported", () => {
  const p = plan(desired, node([], []));
  assert.deepEqual(p.missingTasks, ["task1"]);
  assert.ok(p.steps.every((s) => s.netns !== "task1"));
});

test("invalid desired states are refused with the field named", () => {
  const cases: [Partial<OverlayDesiredState>, RegExp][] = [
    [{ networks: [{ ...net, vni: 0 }] }, /networks\[0\]\.vni/],
    [{ networks: [net, { ...net, id: "n2" }] }, /networks\[1\]\.vni/],
    [{ networks: [{ ...net, gateway: "10.0.8.1" }] }, /networks\[0\]\.gateway: 10\.0\.8\.1 is outside/],
    [{ attachments: [{ networkId: "nope", netns: "t", address: "10.0.9.2" }] }, /attachments\[0\]\.networkId/],
    [{ remotes: [{ ...desired.remotes[0]!, mac: "nope" }] }, /remotes\[0\]\.mac/],
    [{ vips: [{ networkId: "n1", vip: "10.0.9.100", backends: ["1.2.3.4"] }] }, /vips\[0\]\.backends\[0\]/],
  ];
  for (const [change, message] of cases) {
    assert.throws(
      () => plan({ ...desired, ...change }, node()),
      (err: unknown) => err instanceof InvalidSpecError && message.test(err.message),
    );
  }
});

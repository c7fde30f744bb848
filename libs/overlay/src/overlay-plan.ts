import { createHash } from "node:crypto";
import { macOf } from "./bridge-network.js";
import { InvalidSpecError } from "./errors.js";
import { inSubnet, parseIpv4, parseSubnet, type Ipv4Subnet } from "./ipv4.js";
import type { ObservedLink, ObservedNode } from "./overlay-observed.js";
import type { OverlayDesiredState, OverlayPlan, OverlayStep } from "./overlay-types.js";
import { renderVipTable, vipTableBody } from "./vip-ruleset.js";

/** The names the overlay of one node uses in the kernel. */
export interface OverlayNames {
  /** Prefix of the networks' netns names, e.g. "shov-". */
  readonly netnsPrefix: string;
  /** The nft table (family ip) in each network's netns that holds its VIP rules. */
  readonly vipTable: string;
}

/** The bridge inside every network's netns. */
export const OVERLAY_BRIDGE = "br0";
/** VXLAN's IANA port. */
export const VXLAN_PORT = 4789;
/** What VXLAN encapsulation adds to a frame: the overlay MTU is the underlay's minus this. */
export const VXLAN_OVERHEAD = 50;

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NETNS = /^[A-Za-z0-9_.-]{1,64}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The netns of an overlay network: the prefix and the first 12 characters of its id. */
export function networkNetns(prefix: string, networkId: string): string {
  return prefix + networkId.slice(0, 12);
}

/** The VXLAN device of a VNI (in the node's netns for a moment, then in the network's). */
export function vxlanName(vni: number): string {
  return `vx-${vni}`;
}

/** The bridge-side veth of a task on a network: "vo" and 13 hex digits of a hash of the task's netns. */
export function portName(taskNetns: string): string {
  return "vo" + createHash("sha256").update(taskNetns).digest("hex").slice(0, 13);
}

interface CheckedNetwork {
  readonly id: string;
  readonly vni: number;
  readonly subnet: Ipv4Subnet;
  readonly gateway: string;
  readonly netns: string;
}

function ipv4(field: string, text: string, subnet?: Ipv4Subnet): void {
  if (parseIpv4(text) === undefined)
    throw new InvalidSpecError(field, `${JSON.stringify(text)} must be an IPv4 address such as "10.0.9.2"`);
  if (subnet !== undefined && !inSubnet(subnet, text))
    throw new InvalidSpecError(field, `${text} is outside the network's subnet ${subnet.cidr}`);
}

/**
 * Checks the desired state and returns its networks by id. Throws InvalidSpecError naming the field: ids,
 * VNIs (1 to 16777215, each once), subnets, addresses inside their network's subnet, MACs, and references
 * to networks that are not listed.
 */
export function checkDesired(d: OverlayDesiredState, prefix: string): Map<string, CheckedNetwork> {
  const nets = new Map<string, CheckedNetwork>();
  const byNetns = new Set<string>();
  const vnis = new Set<number>();
  d.networks.forEach((n, i) => {
    const at = `networks[${i}]`;
    if (!ID.test(n.id))
      throw new InvalidSpecError(
        `${at}.id`,
        `${JSON.stringify(n.id)} must be 1 to 64 letters, digits, "_", "." or "-"`,
      );
    if (!Number.isInteger(n.vni) || n.vni < 1 || n.vni > 0xffffff || vnis.has(n.vni)) {
      throw new InvalidSpecError(
        `${at}.vni`,
        `${String(n.vni)} must be a VNI from 1 to 16777215 that no other network uses`,
      );
    }
    const subnet = parseSubnet(n.subnet, `${at}.subnet`);
    ipv4(`${at}.gateway`, n.gateway, subnet);
    const netns = networkNetns(prefix, n.id);
    if (nets.has(n.id) || byNetns.has(netns))
      throw new InvalidSpecError(
        `${at}.id`,
        `${n.id} is listed twice or shares its first 12 characters with another network`,
      );
    vnis.add(n.vni);
    byNetns.add(netns);
    nets.set(n.id, { id: n.id, vni: n.vni, subnet, gateway: n.gateway, netns });
  });
  const net = (field: string, id: string): CheckedNetwork => {
    const n = nets.get(id);
    if (n === undefined)
      throw new InvalidSpecError(field, `network ${JSON.stringify(id)} is not in networks; list it there`);
    return n;
  };
  const seen = new Set<string>();
  d.attachments.forEach((a, i) => {
    const at = `attachments[${i}]`;
    const n = net(`${at}.networkId`, a.networkId);
    if (!NETNS.test(a.netns))
      throw new InvalidSpecError(`${at}.netns`, `${JSON.stringify(a.netns)} must be a netns name`);
    ipv4(`${at}.address`, a.address, n.subnet);
    if (seen.has(`${a.networkId}/${a.netns}`))
      throw new InvalidSpecError(at, `${a.netns} is attached to ${a.networkId} twice`);
    seen.add(`${a.networkId}/${a.netns}`);
  });
  d.remotes.forEach((r, i) => {
    const at = `remotes[${i}]`;
    ipv4(`${at}.address`, r.address, net(`${at}.networkId`, r.networkId).subnet);
    ipv4(`${at}.nodeAddress`, r.nodeAddress);
    if (!MAC.test(r.mac))
      throw new InvalidSpecError(
        `${at}.mac`,
        `${JSON.stringify(r.mac)} must be a lower-case MAC such as "02:53:0a:00:09:02"`,
      );
  });
  d.vips.forEach((v, i) => {
    const at = `vips[${i}]`;
    const n = net(`${at}.networkId`, v.networkId);
    ipv4(`${at}.vip`, v.vip, n.subnet);
    v.backends.forEach((b, j) => ipv4(`${at}.backends[${j}]`, b, n.subnet));
  });
  return nets;
}

/** A step list under construction: lines grouped by tool and netns, in the order the groups were first used. */
class Steps {
  private readonly groups = new Map<string, { tool: OverlayStep["tool"]; netns?: string; lines: string[] }>();
  add(tool: OverlayStep["tool"], netns: string | undefined, ...lines: string[]): void {
    if (lines.length === 0) return;
    const key = `${tool} ${netns ?? ""}`;
    const g = this.groups.get(key) ?? { tool, ...(netns === undefined ? {} : { netns }), lines: [] };
    this.groups.set(key, g);
    g.lines.push(...lines);
  }
  list(): OverlayStep[] {
    return [...this.groups.values()];
  }
}

/** Input of planOverlay. */
export interface PlanInput {
  readonly desired: OverlayDesiredState;
  readonly observed: ObservedNode;
  readonly names: OverlayNames;
  /** The node's underlay address (the VXLAN devices' `local`). */
  readonly underlay: string;
  /** The MTU of the overlay's bridges, VXLAN devices and veths (the underlay's minus VXLAN_OVERHEAD). */
  readonly mtu: number;
}

/** The sysctls every network's netns needs: routing for VIP traffic, bridged traffic through conntrack (replies of VIP connections are un-NATed). */
export const NETWORK_SYSCTLS = { "net.ipv4.ip_forward": "1", "net.bridge.bridge-nf-call-iptables": "1" } as const;

/**
 * The bridge's MAC on this node: "02:54:" and the underlay address. It differs between nodes, so frames the
 * bridge routes (VIP traffic) never carry a MAC that the bridge on another node owns.
 */
export function bridgeMac(underlay: string): string {
  return (
    "02:54:" +
    underlay
      .split(".")
      .map((b) => Number(b).toString(16).padStart(2, "0"))
      .join(":")
  );
}

/**
 * Plans the commands that take the node from `observed` to `desired`. Pure. The steps run in order: removals
 * inside the networks' netns (synchronous, so names are free again), then the node's netns (netns and VXLAN
 * devices, made where the underlay is and moved), each network's sysctls, bridge (gateway and VIP
 * addresses), new veths and neighbours, its forwarding entries, each new task interface's address, the new
 * ports joining the bridge (last: a port on the bridge with its address as alias marks a finished
 * attachment), and each network's VIP table. An empty plan means nothing differs.
 */
export function planOverlay(p: PlanInput): OverlayPlan {
  const { desired, observed, names, underlay, mtu } = p;
  const nets = checkDesired(desired, names.netnsPrefix);
  const pre = new Steps();
  const node = new Steps();
  const main = new Steps();
  const late = new Steps();
  const fin = new Steps();
  const missingTasks = new Set<string>();
  const attachments = desired.attachments.filter((a) => {
    const ok = observed.netns.has(a.netns);
    if (!ok) missingTasks.add(a.netns);
    return ok;
  });
  /** Task-side links that this plan deletes (through their veth peer), as "netns/ifindex". */
  const doomed = new Set<string>();
  const doom = (l: ObservedLink): void => {
    if (l.peer?.netns !== undefined) doomed.add(`${l.peer.netns}/${l.peer.ifindex}`);
  };

  // Networks no longer wanted: their devices first (deleting a netns frees them only some time later).
  for (const [ns, o] of observed.networks) {
    if ([...nets.values()].some((n) => n.netns === ns)) continue;
    for (const l of o.links.filter((x) => x.kind === "veth" || x.kind === "vxlan")) {
      pre.add("ip", ns, `link del ${l.ifname}`);
      doom(l);
    }
    node.add("ip", undefined, `netns del ${ns}`);
  }

  const newPorts: { netns: string; ns: string; address: string; n: CheckedNetwork }[] = [];
  const nft = new Steps();
  for (const n of nets.values()) {
    const o = observed.networks.get(n.netns);
    const links = new Map((o?.links ?? []).map((l) => [l.ifname, l]));
    const vx = vxlanName(n.vni);
    const vxLink = links.get(vx);
    const vxOk =
      vxLink?.vxlan !== undefined &&
      vxLink.vxlan.vni === n.vni &&
      vxLink.vxlan.local === underlay &&
      vxLink.vxlan.port === VXLAN_PORT &&
      !vxLink.vxlan.learning &&
      vxLink.vxlan.proxy;
    const local = attachments.filter((a) => a.networkId === n.id);
    const wanted = new Map(local.map((a) => [portName(a.netns), a]));
    for (const l of o?.links ?? []) {
      const a = wanted.get(l.ifname);
      const stale =
        (l.kind === "vxlan" && !(l.ifname === vx && vxOk)) ||
        (l.kind === "veth" && (a === undefined || !portIsWhole(l, a, mtu)));
      if (!stale) continue;
      pre.add("ip", n.netns, `link del ${l.ifname}`);
      doom(l);
    }
    if (o === undefined) node.add("ip", undefined, `netns add ${n.netns}`);
    if (!vxOk) {
      if (observed.links.some((l) => l.ifname === vx)) node.add("ip", undefined, `link del ${vx}`);
      node.add(
        "ip",
        undefined,
        `link add ${vx} mtu ${mtu} type vxlan id ${n.vni} dstport ${VXLAN_PORT} nolearning proxy local ${underlay}`,
        `link set ${vx} netns ${n.netns}`,
      );
    }
    const sysctls = Object.entries(NETWORK_SYSCTLS).filter(([k, v]) => o?.sysctls[k] !== v);
    if (sysctls.length > 0) main.add("sysctl", n.netns, ...sysctls.map(([k, v]) => `${k}=${v}`));

    // The bridge holds the gateway and, as /32s, the network's VIPs: tasks reach a VIP through the bridge,
    // whose netns DNATs it to a backend (its VIP table below).
    const vips = desired.vips.filter((v) => v.networkId === n.id);
    const br = links.get(OVERLAY_BRIDGE);
    const mac = bridgeMac(underlay);
    const addrs = [`${n.gateway}/${n.subnet.prefixLength}`, ...vips.map((v) => `${v.vip}/32`)];
    if (br === undefined) main.add("ip", n.netns, `link add ${OVERLAY_BRIDGE} address ${mac} type bridge`);
    else if (br.mac !== mac) main.add("ip", n.netns, `link set ${OVERLAY_BRIDGE} address ${mac}`);
    if (br?.mtu !== mtu || !br.up) main.add("ip", n.netns, `link set ${OVERLAY_BRIDGE} mtu ${mtu} up`);
    for (const a of br?.addrs ?? [])
      if (!addrs.includes(a)) main.add("ip", n.netns, `addr del ${a} dev ${OVERLAY_BRIDGE}`);
    for (const a of addrs)
      if (br?.addrs.includes(a) !== true) main.add("ip", n.netns, `addr replace ${a} dev ${OVERLAY_BRIDGE}`);
    if (!vxOk || vxLink.master !== OVERLAY_BRIDGE || !vxLink.up || vxLink.mtu !== mtu)
      main.add("ip", n.netns, `link set ${vx} mtu ${mtu} master ${OVERLAY_BRIDGE} up`);
    for (const [port, a] of wanted) {
      const l = links.get(port);
      if (l === undefined || !portIsWhole(l, a, mtu))
        newPorts.push({ netns: a.netns, ns: n.netns, address: a.address, n });
    }

    // Remote endpoints: a permanent neighbour entry (answered by the VXLAN device's ARP proxy) and a
    // forwarding entry to the node's underlay address; no flooding, no learning.
    const remotes = desired.remotes.filter((r) => r.networkId === n.id);
    const neigh = new Map((vxOk ? (o?.neigh ?? []) : []).map((e) => [e.address, e.mac]));
    const fdb = new Map((vxOk ? (o?.fdb ?? []) : []).map((e) => [e.mac, e.dst]));
    for (const r of remotes) {
      if (neigh.get(r.address) !== r.mac)
        main.add("ip", n.netns, `neigh replace ${r.address} lladdr ${r.mac} dev ${vx} nud permanent`);
      if (fdb.get(r.mac) !== r.nodeAddress)
        late.add("bridge", n.netns, `fdb replace ${r.mac} dev ${vx} dst ${r.nodeAddress} self permanent`);
    }
    for (const address of neigh.keys())
      if (!remotes.some((r) => r.address === address)) main.add("ip", n.netns, `neigh del ${address} dev ${vx}`);
    for (const mac of fdb.keys())
      if (!remotes.some((r) => r.mac === mac)) late.add("bridge", n.netns, `fdb del ${mac} dev ${vx} self`);

    const table = vipTableBody(
      vips,
      local.map((a) => a.address),
    );
    if (o?.vipMarker !== table.marker) nft.add("nft", n.netns, ...renderVipTable(names.vipTable, table));
  }

  // New ports: the task side is named eth1, eth2, ... (the lowest free), eth0 being the node-local network.
  const used = new Map<string, Set<string>>();
  for (const p of newPorts) {
    const taken =
      used.get(p.netns) ??
      new Set(
        (observed.tasks.get(p.netns)?.links ?? [])
          .filter((l) => !doomed.has(`${p.netns}/${l.ifindex}`))
          .map((l) => l.ifname),
      );
    used.set(p.netns, taken);
    let k = 1;
    while (taken.has(`eth${k}`)) k++;
    const eth = `eth${k}`;
    taken.add(eth);
    const port = portName(p.netns);
    main.add(
      "ip",
      p.ns,
      `link add ${port} mtu ${mtu} type veth peer name ${eth} mtu ${mtu} address ${macOf(p.address)} netns ${p.netns}`,
    );
    late.add("ip", p.netns, `addr replace ${p.address}/${p.n.subnet.prefixLength} dev ${eth}`, `link set ${eth} up`);
    if (observed.tasks.get(p.netns)?.links.find((l) => l.ifname === "lo")?.up !== true)
      late.add("ip", p.netns, "link set lo up");
    fin.add(
      "ip",
      p.ns,
      `link set ${port} master ${OVERLAY_BRIDGE}`,
      `link set ${port} type bridge_slave hairpin on`,
      `link set ${port} alias ${p.address} up`,
    );
  }
  return {
    steps: [...pre.list(), ...node.list(), ...main.list(), ...late.list(), ...fin.list(), ...nft.list()],
    missingTasks: [...missingTasks].sort(),
  };
}

/**
 * True when a network's port veth is as a finished attachment leaves it: on the bridge in hairpin mode, up, with the MTU, the
 * peer in the task's netns and the task's address as its alias (set only after the task side was
 * configured). The task side is not read again: it is made once, by the same plan.
 */
export function portIsWhole(l: ObservedLink, a: { netns: string; address: string }, mtu: number): boolean {
  return (
    l.kind === "veth" &&
    l.master === OVERLAY_BRIDGE &&
    l.hairpin === true &&
    l.up &&
    l.mtu === mtu &&
    l.peer?.netns === a.netns &&
    l.alias === a.address
  );
}

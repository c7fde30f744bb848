import { rm } from "node:fs/promises";
import { join } from "node:path";
import { allocateAddress, releaseAddress } from "./address-pool.js";
import { attachmentOf } from "./attachment.js";
import { InvalidSpecError, NetworkNotReadyError } from "./errors.js";
import { gatewayOf, parseIpv4, parseSubnet, type Ipv4Subnet } from "./ipv4.js";
import { checkNames, checkTaskId, netnsName, vethName } from "./names.js";
import { checkRules, renderDeleteTable, renderRuleset } from "./nft-ruleset.js";
import { parseJsonList } from "./overlay-observed.js";
import { runCommand, type RunCommand } from "./run-command.js";
import { serialQueue } from "./serial-queue.js";
import { readState, writeState, type NetworkState } from "./state-file.js";
import type { LocalNetwork, PublishedPortRule, TaskAttachment } from "./types.js";

/** Options of openBridgeNetwork. */
export interface BridgeNetworkOptions {
  /** Bridge device name, default "shoal0" (max 15 chars). Tests use unique ones so they can run beside a real agent. */
  bridge?: string;
  /** Subnet of the bridge, default "10.211.0.0/16"; the gateway is the first address. */
  subnet?: string;
  /** nftables table name (family ip), default "shoal". */
  table?: string;
  /** Prefix of netns names, default "shoal-"; host veth names are "vs" and a hash of the netns name. */
  netnsPrefix?: string;
  /** Directory for the address allocation state file (survives agent restarts). */
  stateDir: string;
  /** Run commands (default: execa). Lets tests record the commands. */
  exec?: RunCommand;
}

/** A link as `ip -j -d link show` lists it. */
interface LinkInfo {
  readonly ifname: string;
  readonly mtu: number;
  readonly master?: string;
  readonly linkinfo?: { readonly info_kind?: string };
}

/**
 * Opens the node's local bridge network. Nothing is changed until a call is made; every call is idempotent and
 * the calls of one object run one at a time. The state file (`bridge-<bridge>.json` in `stateDir`) records
 * the addresses handed out, the veth names and the published rules, so a new object on the same directory
 * (an agent after its restart) adopts what an earlier one made.
 */
export function openBridgeNetwork(o: BridgeNetworkOptions): LocalNetwork {
  const names = { bridge: o.bridge ?? "shoal0", table: o.table ?? "shoal", netnsPrefix: o.netnsPrefix ?? "shoal-" };
  checkNames(names);
  if (o.stateDir === "") throw new InvalidSpecError("stateDir", "must name a directory that survives restarts, such as /var/lib/shoal/network");
  return new BridgeNetwork({ ...names, subnet: parseSubnet(o.subnet ?? "10.211.0.0/16"), stateDir: o.stateDir, exec: o.exec ?? runCommand });
}

class BridgeNetwork implements LocalNetwork {
  private readonly file: string;
  private readonly gateway: string;
  private readonly serial = serialQueue();

  constructor(
    private readonly o: {
      readonly bridge: string;
      readonly table: string;
      readonly netnsPrefix: string;
      readonly subnet: Ipv4Subnet;
      readonly stateDir: string;
      readonly exec: RunCommand;
    },
  ) {
    this.file = join(o.stateDir, `bridge-${o.bridge}.json`);
    this.gateway = gatewayOf(o.subnet);
  }

  readonly setup = (): Promise<void> =>
    this.serial(async () => {
      const { bridge, subnet } = this.o;
      const state = await readState(this.file, subnet.cidr);
      const links = await this.links();
      const existing = links.get(bridge);
      // A fixed MAC: otherwise the bridge takes the lowest of its ports' and changes as tasks come and go.
      if (existing === undefined) await this.ip(["link", "add", bridge, "address", macOf(this.gateway), "type", "bridge"]);
      else if (existing.linkinfo?.info_kind !== "bridge") {
        throw new InvalidSpecError("bridge", `a ${existing.linkinfo?.info_kind ?? "network"} device named ${bridge} exists and is not a bridge; choose another bridge name`);
      }
      await this.ip(["link", "set", bridge, "mtu", String(await this.uplinkMtu(links)), "up"]);
      await this.ip(["addr", "replace", `${this.gateway}/${subnet.prefixLength}`, "dev", bridge]);
      // route_localnet on the bridge only (not "all"): 127.0.0.1-sourced packets may leave by the bridge and
      // nowhere else, so published ports answer on 127.0.0.1 without exposing the node's loopback services.
      await this.o.exec("sysctl", ["-q", "-w", "net/ipv4/ip_forward=1", `net/ipv4/conf/${bridge}/route_localnet=1`]);
      await this.applyRules(state.published);
    });

  readonly attach = (taskId: string): Promise<TaskAttachment> =>
    this.serial(async () => {
      checkTaskId(taskId);
      const { bridge, subnet } = this.o;
      let state = await readState(this.file, subnet.cidr);
      const ns = netnsName(this.o.netnsPrefix, taskId);
      const links = await this.links();
      const bridgeLink = links.get(bridge);
      if (bridgeLink === undefined) throw new NetworkNotReadyError(`bridge ${bridge} does not exist; call setup() before attaching tasks`);
      const known = state.tasks[taskId];
      if (known?.ready === true && (await this.isWhole(ns, known.veth, links))) return this.attachment(taskId, state);

      // Record the address and veth name BEFORE making anything, so a crash part-way leaves a record that
      // attachments(), detach() and teardown() find and clean.
      const taken = new Set([...links.keys(), ...Object.values(state.tasks).map((t) => t.veth)]);
      const veth = known?.veth ?? vethName(ns, taken);
      const { pool, address } = allocateAddress(state.pool, subnet, taskId);
      state = { ...state, pool, tasks: { ...state.tasks, [taskId]: { veth, ready: false } } };
      await writeState(this.file, state);

      if (!(await this.netnsNames()).has(ns)) await this.ip(["netns", "add", ns]);
      const inner = await this.links(ns);
      if (!(links.has(veth) && inner.has("eth0"))) {
        if (links.has(veth)) await this.deleteLink(veth);
        if (inner.has("eth0")) await this.ip(["-n", ns, "link", "del", "eth0"]);
        const mtu = String(bridgeLink.mtu);
        await this.ip(["link", "add", veth, "mtu", mtu, "type", "veth", "peer", "name", "eth0", "mtu", mtu, "address", macOf(address), "netns", ns]);
      }
      await this.ip(["link", "set", veth, "master", bridge, "up"]);
      // Hairpin: with br_netfilter loaded (Docker loads it) a task's connection to a published port that is
      // balanced back to the same task is bridged out of the port it came in by; the bridge drops that without.
      await this.ip(["link", "set", veth, "type", "bridge_slave", "hairpin", "on"]);
      const inside = [
        "link set lo up",
        `addr replace ${address}/${subnet.prefixLength} dev eth0`,
        "link set eth0 up",
        `route replace default via ${this.gateway} dev eth0`,
      ];
      await this.ip(["-n", ns, "-batch", "-"], inside.join("\n") + "\n");
      state = { ...state, tasks: { ...state.tasks, [taskId]: { veth, ready: true } } };
      await writeState(this.file, state);
      return this.attachment(taskId, state);
    });

  readonly detach = (taskId: string): Promise<void> =>
    this.serial(async () => {
      checkTaskId(taskId);
      const state = await readState(this.file, this.o.subnet.cidr);
      await this.writeIfChanged(state, await this.dismantle(state, [taskId]));
    });

  readonly attachments = (): Promise<TaskAttachment[]> =>
    this.serial(async () => {
      const state = await readState(this.file, this.o.subnet.cidr);
      const links = await this.links();
      const netns = await this.netnsNames();
      const out: TaskAttachment[] = [];
      const broken: string[] = [];
      for (const [taskId, rec] of Object.entries(state.tasks)) {
        const ns = netnsName(this.o.netnsPrefix, taskId);
        const whole = rec.ready && netns.has(ns) && links.get(rec.veth)?.master === this.o.bridge;
        if (whole) out.push(this.attachment(taskId, state));
        else broken.push(taskId);
      }
      // An attach cut short, or one whose pieces went away (a reboot empties /run/netns): remove what is left
      // and free the address; the caller attaches the task again if it still wants it.
      await this.writeIfChanged(state, await this.dismantle(state, broken));
      return out.sort((a, b) => a.taskId.localeCompare(b.taskId));
    });

  readonly publish = (rules: readonly PublishedPortRule[]): Promise<void> => {
    const copy = rules.map((r) => ({ ...r, backends: [...r.backends] }));
    return this.serial(async () => {
      checkRules(copy);
      const state = await readState(this.file, this.o.subnet.cidr);
      await this.applyRules(copy);
      await writeState(this.file, { ...state, published: copy });
    });
  };

  readonly teardown = (): Promise<void> =>
    this.serial(async () => {
      // Any subnet: a network must be removable even after its options changed.
      const state = await readState(this.file, undefined);
      await this.dismantle(state, Object.keys({ ...state.pool.byTask, ...state.tasks }));
      if ((await this.links()).has(this.o.bridge)) await this.deleteLink(this.o.bridge);
      await this.o.exec("nft", ["-f", "-"], { input: renderDeleteTable(this.o.table) });
      await rm(this.file, { force: true });
    });

  private async ip(args: readonly string[], input?: string): Promise<void> {
    await this.o.exec("ip", args, input === undefined ? undefined : { input });
  }

  /**
   * Deletes a link that was listed. The kernel destroys a deleted namespace, and the veth pair in it, some
   * moments after `ip netns del`, so a listed veth may be gone by now: that is success too.
   */
  private async deleteLink(name: string): Promise<void> {
    try {
      await this.ip(["link", "del", name]);
    } catch (err) {
      if ((await this.links()).has(name)) throw err;
    }
  }

  private async applyRules(rules: readonly PublishedPortRule[]): Promise<void> {
    const target = { table: this.o.table, bridge: this.o.bridge, subnet: this.o.subnet.cidr };
    await this.o.exec("nft", ["-f", "-"], { input: renderRuleset(target, rules) });
  }

  /** The links of the host, or of namespace `ns`, by name. */
  private async links(ns?: string): Promise<Map<string, LinkInfo>> {
    const { stdout } = await this.o.exec("ip", [...(ns === undefined ? [] : ["-n", ns]), "-j", "-d", "link", "show"]);
    return new Map(parseJsonList<LinkInfo>(stdout).map((l) => [l.ifname, l]));
  }

  private async netnsNames(): Promise<Set<string>> {
    const { stdout } = await this.o.exec("ip", ["-j", "netns", "list"]);
    return new Set(parseJsonList<{ name: string }>(stdout).map((n) => n.name));
  }

  /** The MTU of the interface of the default route, so container packets fit the uplink; 1500 without one. */
  private async uplinkMtu(links: Map<string, LinkInfo>): Promise<number> {
    const { stdout } = await this.o.exec("ip", ["-j", "route", "show", "default"]);
    const dev = parseJsonList<{ dev?: string }>(stdout)[0]?.dev;
    return (dev === undefined ? undefined : links.get(dev)?.mtu) ?? 1500;
  }

  private async isWhole(ns: string, veth: string, links: Map<string, LinkInfo>): Promise<boolean> {
    return links.get(veth)?.master === this.o.bridge && (await this.netnsNames()).has(ns);
  }

  /**
   * Removes the veth and netns of each task that exist and frees their addresses; returns the new state
   * (not written), the same object when no task had a record. The veth goes first: a container still running
   * keeps its netns alive after `ip netns del`, and with it the veth pair.
   */
  private async dismantle(state: NetworkState, taskIds: readonly string[]): Promise<NetworkState> {
    if (taskIds.length === 0) return state;
    let changed = false;
    const links = await this.links();
    const netns = await this.netnsNames();
    let { pool } = state;
    const tasks = { ...state.tasks };
    for (const taskId of taskIds) {
      const veth = tasks[taskId]?.veth;
      if (veth !== undefined && links.get(veth) !== undefined) await this.deleteLink(veth);
      const ns = netnsName(this.o.netnsPrefix, taskId);
      if (netns.has(ns)) {
        // NB: a TCP connection still closing when its veth goes can never finish, and pins the namespace in
        // the kernel for minutes after `ip netns del`; ending the namespace's TCP sockets frees it at once.
        await this.o.exec("ss", ["-N", ns, "-K", "-a", "-t"]);
        await this.ip(["netns", "del", ns]);
      }
      changed ||= taskId in tasks || taskId in pool.byTask;
      pool = releaseAddress(pool, taskId);
      delete tasks[taskId];
    }
    return changed ? { ...state, pool, tasks } : state;
  }

  private async writeIfChanged(before: NetworkState, after: NetworkState): Promise<void> {
    if (after !== before) await writeState(this.file, after);
  }

  private attachment(taskId: string, state: NetworkState): TaskAttachment {
    return attachmentOf(this.o.netnsPrefix, this.o.subnet, taskId, state.pool.byTask[taskId] ?? "");
  }
}

/**
 * The container's MAC address, derived from its IPv4 address as Docker does (02:42:<address>, here 02:53):
 * a reused address comes back with the same MAC, so a neighbour's stale ARP entry is still right.
 */
export function macOf(address: string): string {
  const n = parseIpv4(address) ?? 0;
  const bytes = [0x02, 0x53, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

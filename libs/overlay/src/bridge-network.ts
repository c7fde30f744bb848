// Over 400 lines: one driver of the node bridge, whose batched attaches and detaches, repair of half-made
// attachments and teardown share one serial queue and one state file; the pure parts (address pool,
// attachment naming, the network state) are files of their own.
import { SerialQueue } from "@shoal/common";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { allocateAddress, releaseAddress } from "./address-pool.js";
import { attachmentOf } from "./attachment.js";
import { InvalidSpecError, NetworkNotReadyError } from "./errors.js";
import { gatewayOf, parseIpv4, parseSubnet, type Ipv4Subnet } from "./ipv4.js";
import { type BatchResults, Gatherer } from "./gather.js";
import { checkNames, checkTaskId, netnsName, vethName } from "./names.js";
import { checkRules, renderDeleteTable, renderRuleset } from "./nft-ruleset.js";
import { parseJsonList } from "./overlay-observed.js";
import { runCommand, type RunCommand } from "./run-command.js";
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
  if (o.stateDir === "")
    throw new InvalidSpecError(
      "stateDir",
      "must name a directory that survives restarts, such as /var/lib/shoal/network",
    );
  return new BridgeNetwork({
    ...names,
    subnet: parseSubnet(o.subnet ?? "10.211.0.0/16"),
    stateDir: o.stateDir,
    exec: o.exec ?? runCommand,
  });
}

class BridgeNetwork implements LocalNetwork {
  private readonly file: string;
  readonly gateway: string;
  /** The link group veths are put in to be deleted together: one per bridge, so two networks never mix. */
  private readonly group: number;
  private readonly queue = new SerialQueue();
  private readonly serial = <T>(op: () => Promise<T>): Promise<T> => this.queue.run(op);
  private readonly attaches = new Gatherer<TaskAttachment>(
    (op) => void this.serial(op),
    (ids) => this.attachBatch(ids),
  );
  private readonly detaches = new Gatherer<true>(
    (op) => void this.serial(op),
    (ids) => this.detachBatch(ids),
  );

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
    this.group = linkGroupOf(o.bridge);
    this.gateway = gatewayOf(o.subnet);
  }

  readonly setup = (): Promise<void> =>
    this.serial(async () => {
      const { bridge, subnet } = this.o;
      const state = await readState(this.file, subnet.cidr);
      const links = await this.links();
      const existing = links.get(bridge);
      // A fixed MAC: otherwise the bridge takes the lowest of its ports' and changes as tasks come and go.
      if (existing === undefined)
        await this.ip(["link", "add", bridge, "address", macOf(this.gateway), "type", "bridge"]);
      else if (existing.linkinfo?.info_kind !== "bridge") {
        throw new InvalidSpecError(
          "bridge",
          `a ${existing.linkinfo?.info_kind ?? "network"} device named ${bridge} exists and is not a bridge; choose another bridge name`,
        );
      }
      await this.ip(["link", "set", bridge, "mtu", String(await this.uplinkMtu(links)), "up"]);
      await this.ip(["addr", "replace", `${this.gateway}/${subnet.prefixLength}`, "dev", bridge]);
      // route_localnet on the bridge only (not "all"): 127.0.0.1-sourced packets may leave by the bridge and
      // nowhere else, so published ports answer on 127.0.0.1 without exposing the node's loopback services.
      await this.o.exec("sysctl", ["-q", "-w", "net/ipv4/ip_forward=1", `net/ipv4/conf/${bridge}/route_localnet=1`]);
      await this.applyRules(state.published);
    });

  /**
   * Attaches are gathered: every call made while an earlier operation runs joins one batch, which reads the
   * system once, records the batch's addresses in one state write, makes every fresh namespace and veth with
   * one `ip -batch` and then configures each namespace's inside (a hundred tasks cost a few processes, not
   * a few hundred).
   */
  readonly attach = (taskId: string): Promise<TaskAttachment> =>
    new Promise<void>((resolve) => {
      checkTaskId(taskId); // a throw here rejects, before anything is queued
      resolve();
    }).then(() => this.attaches.add(taskId));

  private async attachBatch(taskIds: readonly string[]): Promise<BatchResults<TaskAttachment>> {
    const { bridge, subnet } = this.o;
    let state = await readState(this.file, subnet.cidr);
    const links = await this.links();
    const bridgeLink = links.get(bridge);
    if (bridgeLink === undefined)
      throw new NetworkNotReadyError(`bridge ${bridge} does not exist; call setup() before attaching tasks`);
    const netns = await this.netnsNames();
    const results = new Map<string, TaskAttachment | Error>();
    const todo: { taskId: string; ns: string; veth: string; address: string }[] = [];
    // Record the addresses and veth names BEFORE making anything, so a crash part-way leaves records that
    // attachments(), detach() and teardown() find and clean.
    const taken = new Set([...links.keys(), ...Object.values(state.tasks).map((t) => t.veth)]);
    let { pool } = state;
    const tasks = { ...state.tasks };
    for (const taskId of taskIds) {
      const ns = netnsName(this.o.netnsPrefix, taskId);
      const known = state.tasks[taskId];
      if (known?.ready === true && links.get(known.veth)?.master === bridge && netns.has(ns)) {
        results.set(taskId, this.attachment(taskId, state));
        continue;
      }
      const veth = known?.veth ?? vethName(ns, taken);
      taken.add(veth);
      const allocated = allocateAddress(pool, subnet, taskId);
      pool = allocated.pool;
      tasks[taskId] = { veth, ready: false };
      todo.push({ taskId, ns, veth, address: allocated.address });
    }
    if (todo.length === 0) return results;
    state = { ...state, pool, tasks };
    await writeState(this.file, state);

    const mtu = String(bridgeLink.mtu);
    // Fresh: neither piece exists, the common case, made for the whole batch by one process. Anything left
    // from an attach cut short is repaired one task at a time, looking at what is there.
    const fresh = todo.filter((a) => !netns.has(a.ns) && !links.has(a.veth));
    let repair = todo.filter((a) => netns.has(a.ns) || links.has(a.veth));
    if (fresh.length > 0) {
      const lines = fresh.flatMap((a) => [
        `netns add ${a.ns}`,
        `link add ${a.veth} mtu ${mtu} type veth peer name eth0 mtu ${mtu} address ${macOf(a.address)} netns ${a.ns}`,
        ...this.hostSideOf(a.veth),
      ]);
      try {
        await this.ip(["-batch", "-"], lines.join("\n") + "\n");
      } catch {
        // One line failed and ip stopped there: find out task by task what exists and finish each.
        repair = todo;
      }
    }
    const inside = async (a: (typeof todo)[number]): Promise<void> => {
      await this.ip(["-n", a.ns, "-batch", "-"], this.insideOf(a.address).join("\n") + "\n");
    };
    const done = new Set<string>();
    if (repair !== todo && fresh.length > 0) {
      // Every namespace's inside from one shell (one process started by the agent, not one per task); a
      // namespace the shell names as failed is tried again alone, which also gives its error.
      const script = fresh
        .map(
          (a) =>
            `ip -n '${a.ns}' -batch - <<'END' || echo '${a.taskId}'\n${this.insideOf(a.address).join("\n")}\nEND\n`,
        )
        .join("");
      const failed = new Set(
        (await this.o.exec("sh", ["-s"], { input: script })).stdout.split("\n").filter((l) => l !== ""),
      );
      for (const a of fresh) {
        if (!failed.has(a.taskId)) {
          done.add(a.taskId);
          continue;
        }
        try {
          await inside(a);
          done.add(a.taskId);
        } catch (e) {
          results.set(a.taskId, e as Error);
        }
      }
    }
    for (const a of repair) {
      try {
        await this.repairAttachment(a.ns, a.veth, a.address, mtu);
        await inside(a);
        done.add(a.taskId);
      } catch (e) {
        results.set(a.taskId, e as Error);
      }
    }
    if (done.size > 0) {
      const ready = { ...state.tasks };
      for (const a of todo) if (done.has(a.taskId)) ready[a.taskId] = { veth: a.veth, ready: true };
      state = { ...state, tasks: ready };
      await writeState(this.file, state);
      for (const id of done) results.set(id, this.attachment(id, state));
    }
    return results;
  }

  /** The host-side commands that put a veth on the bridge. */
  private hostSideOf(veth: string): string[] {
    // Hairpin: with br_netfilter loaded (Docker loads it) a task's connection to a published port that is
    // balanced back to the same task is bridged out of the port it came in by; the bridge drops that without.
    return [`link set ${veth} master ${this.o.bridge} up`, `link set ${veth} type bridge_slave hairpin on`];
  }

  /** The commands run inside a task's namespace: loopback, its address on eth0, the default route. */
  private insideOf(address: string): string[] {
    return [
      "link set lo up",
      `addr replace ${address}/${this.o.subnet.prefixLength} dev eth0`,
      "link set eth0 up",
      `route replace default via ${this.gateway} dev eth0`,
    ];
  }

  /** Makes whatever is missing of a task's netns and veth pair, replacing a half of the pair found alone. */
  private async repairAttachment(ns: string, veth: string, address: string, mtu: string): Promise<void> {
    if (!(await this.netnsNames()).has(ns)) await this.ip(["netns", "add", ns]);
    const links = await this.links();
    const inner = await this.links(ns);
    if (!(links.has(veth) && inner.has("eth0"))) {
      if (links.has(veth)) await this.deleteLink(veth);
      if (inner.has("eth0")) await this.ip(["-n", ns, "link", "del", "eth0"]);
      await this.ip([
        "link",
        "add",
        veth,
        "mtu",
        mtu,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "mtu",
        mtu,
        "address",
        macOf(address),
        "netns",
        ns,
      ]);
    }
    await this.ip(["-batch", "-"], this.hostSideOf(veth).join("\n") + "\n");
  }

  /** Detaches are gathered like attaches: one state read and write and a few processes per batch. */
  readonly detach = (taskId: string): Promise<void> =>
    new Promise<void>((resolve) => {
      checkTaskId(taskId);
      resolve();
    }).then(async () => {
      await this.detaches.add(taskId);
    });

  private async detachBatch(taskIds: readonly string[]): Promise<BatchResults<true>> {
    const state = await readState(this.file, this.o.subnet.cidr);
    await this.writeIfChanged(state, await this.dismantle(state, taskIds));
    return new Map(taskIds.map((id) => [id, true]));
  }

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

  /**
   * Removes the veth and netns of each task that exist and frees their addresses; returns the new state
   * (not written), the same object when no task had a record. The veth goes first: a container still running
   * keeps its netns alive after `ip netns del`, and with it the veth pair.
   */
  private async dismantle(state: NetworkState, taskIds: readonly string[]): Promise<NetworkState> {
    if (taskIds.length === 0) return state;
    const links = await this.links();
    const netns = await this.netnsNames();
    const veths = taskIds.flatMap((id) => {
      const veth = state.tasks[id]?.veth;
      return veth !== undefined && links.has(veth) ? [veth] : [];
    });
    const namespaces = taskIds.map((id) => netnsName(this.o.netnsPrefix, id)).filter((ns) => netns.has(ns));
    if (namespaces.length > 0) {
      // NB: a TCP connection still closing when its veth goes can never finish, and pins the namespace in
      // the kernel for minutes after `ip netns del`; ending the namespace's TCP sockets frees it at once.
      await this.o.exec("sh", ["-s"], {
        input: namespaces.map((ns) => `ss -N '${ns}' -K -a -t >/dev/null || true\n`).join(""),
      });
    }
    // The veths first (a container still running keeps its netns alive after `ip netns del`, and with it the
    // pair), all in one request: deleting links one by one waits for the kernel's RCU grace period each time
    // (~30 ms a veth), deleting a group of them waits once.
    const lines = [
      ...veths.map((v) => `link set ${v} group ${this.group}`),
      ...(veths.length > 0 ? [`link del group ${this.group}`] : []),
      ...namespaces.map((ns) => `netns del ${ns}`),
    ];
    if (lines.length > 0) {
      try {
        await this.ip(["-batch", "-"], lines.join("\n") + "\n");
      } catch {
        // Something went away meanwhile, or one deletion failed: one at a time, so the real error surfaces.
        for (const veth of veths) await this.deleteLink(veth);
        const left = await this.netnsNames();
        for (const ns of namespaces) if (left.has(ns)) await this.ip(["netns", "del", ns]);
      }
    }
    let { pool } = state;
    const tasks = { ...state.tasks };
    let changed = false;
    for (const taskId of taskIds) {
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

/** A link group number for the bridge's veths: 0x53 in the top byte, a hash of the bridge name below. */
export function linkGroupOf(bridge: string): number {
  let h = 0x811c9dc5;
  for (const c of bridge) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return (0x53 << 24) + (h & 0xffffff);
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

import { SerialQueue } from "@shoal/common";
import { InvalidSpecError, NetworkCommandError, OverlayStepError, UnderlayAddressError } from "./errors.js";
import { parseIpv4 } from "./ipv4.js";
import {
  parseFdb,
  parseJsonList,
  parseLinks,
  parseNeigh,
  parseNsIds,
  parseVipMarker,
  sortJsonLines,
  type ObservedNetworkNs,
  type ObservedNode,
  type ObservedTaskNs,
} from "./overlay-observed.js";
import {
  checkDesired,
  NETWORK_SYSCTLS,
  networkNetns,
  planOverlay,
  portIsWhole,
  portName,
  VXLAN_OVERHEAD,
  type OverlayNames,
} from "./overlay-plan.js";
import type { OverlayDesiredState, OverlayPlan, OverlayStep, VxlanOverlay } from "./overlay-types.js";
import { runCommand, type RunCommand } from "./run-command.js";
import { renderVipTable, vipTableBody } from "./vip-ruleset.js";

/** Options of openVxlanOverlay. */
export interface VxlanOverlayOptions {
  /** This node's underlay address: an address of one of its interfaces, where other nodes send VXLAN traffic. */
  underlayAddress: string;
  /** Prefix of the networks' netns names, default "shov-". Two objects on one host need different prefixes. */
  netnsPrefix?: string;
  /** The nft table (family ip) for VIP rules in each network's netns, default "shoal_vip". */
  vipTable?: string;
  /** Runs commands (default: execa). Tests run a "node" inside a netns by wrapping it (`nsenter --net=...`). */
  exec?: RunCommand;
}

const PREFIX = /^[A-Za-z0-9_.-]{1,20}$/;
const TABLE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/**
 * Opens the node side of the overlay networks. Nothing is changed until a call is made. No state is kept on
 * disk: everything the planner needs is read back from the kernel (netns names, device names, veth peers,
 * neighbour and forwarding entries, the VIP tables' hash chains), so a new object adopts what exists.
 */
export function openVxlanOverlay(o: VxlanOverlayOptions): VxlanOverlay {
  if (parseIpv4(o.underlayAddress) === undefined) {
    throw new InvalidSpecError(
      "underlayAddress",
      `${JSON.stringify(o.underlayAddress)} must be this node's IPv4 address on the network between nodes`,
    );
  }
  const names = { netnsPrefix: o.netnsPrefix ?? "shov-", vipTable: o.vipTable ?? "shoal_vip" };
  if (!PREFIX.test(names.netnsPrefix))
    throw new InvalidSpecError(
      "netnsPrefix",
      `${JSON.stringify(names.netnsPrefix)} must be 1 to 20 letters, digits, "_", "." or "-"`,
    );
  if (!TABLE.test(names.vipTable))
    throw new InvalidSpecError(
      "vipTable",
      `${JSON.stringify(names.vipTable)} must be a letter then up to 31 letters, digits or "_"`,
    );
  return new Overlay(o.underlayAddress, names, o.exec ?? runCommand);
}

const EMPTY: OverlayDesiredState = { networks: [], attachments: [], remotes: [], vips: [] };

/**
 * When `next` differs from the state last applied only in the backends of VIPs (tasks started or stopped
 * serving), the steps that rewrite those networks' VIP tables, with nothing read first; else undefined (a
 * full reconcile). An unchanged state also gives undefined, so a caller's periodic reconcile reads the node.
 */
function backendSteps(
  last: OverlayDesiredState,
  next: OverlayDesiredState,
  names: OverlayNames,
  missing: readonly string[],
): OverlayPlan | undefined {
  const shape = (d: OverlayDesiredState): string =>
    JSON.stringify({ ...d, vips: d.vips.map((v) => [v.networkId, v.vip]) });
  if (shape(last) !== shape(next)) return undefined;
  const changed = new Set(
    next.vips
      .filter((v, i) => JSON.stringify(v.backends) !== JSON.stringify(last.vips[i]?.backends))
      .map((v) => v.networkId),
  );
  if (changed.size === 0) return undefined;
  checkDesired(next, names.netnsPrefix);
  const steps = [...changed].sort().map((id): OverlayStep => {
    // The same table the planner writes: these networks' VIPs, with hairpin rules for the attached tasks.
    const local = next.attachments
      .filter((a) => a.networkId === id && !missing.includes(a.netns))
      .map((a) => a.address);
    const body = vipTableBody(
      next.vips.filter((v) => v.networkId === id),
      local,
    );
    return { tool: "nft", netns: networkNetns(names.netnsPrefix, id), lines: renderVipTable(names.vipTable, body) };
  });
  return { steps, missingTasks: [...missing] };
}

class Overlay implements VxlanOverlay {
  private readonly queue = new SerialQueue();
  private readonly serial = <T>(op: () => Promise<T>): Promise<T> => this.queue.run(op);
  /** The desired state of the last reconcile that succeeded (undefined after a failure: read everything again). */
  private last: OverlayDesiredState | undefined;
  private lastMissing: readonly string[] = [];

  constructor(
    private readonly underlay: string,
    private readonly names: OverlayNames,
    private readonly exec: RunCommand,
  ) {}

  readonly reconcile = (desired: OverlayDesiredState): Promise<OverlayPlan> => {
    const copy = structuredClone(desired);
    return this.serial(async () => {
      const fast = this.last === undefined ? undefined : backendSteps(this.last, copy, this.names, this.lastMissing);
      this.last = undefined;
      const plan = fast ?? (await this.converge(copy));
      if (fast) await this.runAll(fast.steps);
      this.last = copy;
      this.lastMissing = plan.missingTasks;
      return plan;
    });
  };

  readonly removeNetwork = (networkId: string): Promise<void> =>
    this.serial(async () => {
      const d = this.last;
      if (d === undefined) {
        // A new object does not know the rest of the desired state: remove this network only, with the VIP
        // tables of its tasks (the next reconcile writes them again for their other networks).
        await this.removeNamespaces([networkNetns(this.names.netnsPrefix, networkId)]);
        return;
      }
      const keep = <T extends { networkId: string }>(xs: T[]): T[] => xs.filter((x) => x.networkId !== networkId);
      const next = {
        networks: d.networks.filter((n) => n.id !== networkId),
        attachments: keep(d.attachments),
        remotes: keep(d.remotes),
        vips: keep(d.vips),
      };
      await this.converge(next);
      this.last = next;
    });

  readonly teardown = (): Promise<void> =>
    this.serial(async () => {
      await this.converge(EMPTY);
      this.last = undefined;
    });

  /**
   * Reads, plans and applies. A failed step is retried from a new reading (twice): a task netns removed
   * meanwhile takes its veth with it, so a plan can be stale by the time it runs.
   */
  private async converge(desired: OverlayDesiredState): Promise<OverlayPlan> {
    for (let attempt = 1; ; attempt++) {
      const observed = await this.observe(desired);
      const plan = planOverlay({
        desired,
        observed,
        names: this.names,
        underlay: this.underlay,
        mtu: this.mtu(observed, desired),
      });
      try {
        await this.runAll(plan.steps);
        return plan;
      } catch (e) {
        if (!(e instanceof OverlayStepError) || attempt >= 3) throw e;
      }
    }
  }

  /** Removes the given network namespaces through a plan that keeps the rest. */
  private async removeNamespaces(netns: readonly string[]): Promise<void> {
    const observed = await this.observe(EMPTY);
    const networks = new Map([...observed.networks].filter(([ns]) => netns.includes(ns)));
    const plan = planOverlay({
      desired: EMPTY,
      observed: { ...observed, networks },
      names: this.names,
      underlay: this.underlay,
      mtu: 0,
    });
    await this.runAll(plan.steps);
  }

  /** The overlay MTU: the MTU of the node's interface holding the underlay address, minus the VXLAN overhead. */
  private mtu(observed: ObservedNode, desired: OverlayDesiredState): number {
    const link = observed.links.find((l) => l.addrs.some((a) => a.startsWith(`${this.underlay}/`)));
    if (link === undefined) {
      if (desired.networks.length === 0) return 0;
      throw new UnderlayAddressError(
        this.underlay,
        observed.links.flatMap((l) => l.addrs),
      );
    }
    return link.mtu - VXLAN_OVERHEAD;
  }

  /**
   * Reads the node: its netns and links (one process), each overlay netns (three), and only the task netns
   * that get a new port (one each). Finished ports are recognised from the network's side, so a reconcile
   * with nothing new costs the same however many tasks are attached.
   */
  private async observe(desired: OverlayDesiredState): Promise<ObservedNode> {
    const [nsList, nodeLinks] = sortJsonLines(
      (await this.exec("ip", ["-j", "-d", "-batch", "-"], { input: "netns list\naddr show\n" })).stdout,
      ["name", "ifindex"],
    );
    const netns = new Set(parseJsonList<{ name: string }>(nsList ?? "").map((n) => n.name));
    const links = parseLinks(nodeLinks ?? "");
    const networks = new Map<string, ObservedNetworkNs>();
    for (const ns of [...netns].filter((n) => n.startsWith(this.names.netnsPrefix)).sort())
      networks.set(ns, await this.observeNetwork(ns));
    const mtu = links.find((l) => l.addrs.some((a) => a.startsWith(`${this.underlay}/`)))?.mtu;
    const fresh = new Set<string>();
    for (const a of desired.attachments) {
      if (!netns.has(a.netns)) continue;
      const port = networks
        .get(networkNetns(this.names.netnsPrefix, a.networkId))
        ?.links.find((l) => l.ifname === portName(a.netns));
      if (port === undefined || mtu === undefined || !portIsWhole(port, a, mtu - VXLAN_OVERHEAD)) fresh.add(a.netns);
    }
    return { netns, links, networks, tasks: await this.observeTasks([...fresh].sort()) };
  }

  /** The links of task netns, all read by one shell (a section "@@<netns>" each). */
  private async observeTasks(names: readonly string[]): Promise<Map<string, ObservedTaskNs>> {
    const tasks = new Map<string, ObservedTaskNs>();
    if (names.length === 0) return tasks;
    const script = 'for ns do echo "@@$ns"; ip -n "$ns" -j link show || true; echo; done';
    const out = (await this.exec("sh", ["-c", script, "sh", ...names])).stdout;
    for (const section of out.split(/^@@/m).slice(1)) {
      const nl = section.indexOf("\n");
      tasks.set(section.slice(0, nl), { links: parseLinks(section.slice(nl + 1).trim()) });
    }
    return tasks;
  }

  private async observeNetwork(ns: string): Promise<ObservedNetworkNs> {
    const out = await this.exec("ip", ["-n", ns, "-j", "-d", "-batch", "-"], {
      input: "netns list-id\naddr show\nneigh show\n",
    });
    const [ids, addrs, neigh] = sortJsonLines(out.stdout, ["nsid", "ifindex", "dst"]);
    const links = parseLinks(addrs ?? "", parseNsIds(ids ?? ""));
    const vx = links.find((l) => l.kind === "vxlan");
    const fdb =
      vx === undefined
        ? []
        : parseFdb((await this.exec("bridge", ["-n", ns, "-j", "fdb", "show", "dev", vx.ifname])).stdout);
    // One process for the sysctls and the VIP table's chains: "key=value" lines, then nft's JSON.
    const keys = Object.keys(NETWORK_SYSCTLS);
    const script =
      keys.map((k) => `printf '%s=%s\\n' ${k} "$(cat /proc/sys/${k.replaceAll(".", "/")} 2>/dev/null)"`).join("; ") +
      "; nft -j list chains ip";
    const inside = (await this.exec("ip", ["netns", "exec", ns, "sh", "-c", script])).stdout.split("\n");
    const sysctls = Object.fromEntries(
      inside.slice(0, keys.length).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const marker = parseVipMarker(inside.slice(keys.length).join("\n"), this.names.vipTable);
    return {
      links,
      neigh: vx === undefined ? [] : parseNeigh(neigh ?? "", vx.ifname),
      fdb,
      sysctls,
      ...(marker === undefined ? {} : { vipMarker: marker }),
    };
  }

  /**
   * Runs the plan's steps in order. Consecutive `ip` batches in task netns (one each for every new port) run in
   * one shell, which saves a process start per task when many join at once.
   */
  private async runAll(steps: readonly OverlayStep[]): Promise<void> {
    const isTask = (s: OverlayStep): boolean =>
      s.tool === "ip" && s.netns !== undefined && !s.netns.startsWith(this.names.netnsPrefix);
    for (let i = 0; i < steps.length;) {
      let j = i;
      while (j < steps.length && isTask(steps[j]!)) j++;
      if (j - i > 1) {
        await this.runInShell(steps.slice(i, j));
        i = j;
      } else {
        await this.run(steps[i]!);
        i++;
      }
    }
  }

  /** Runs `ip -n <netns> -batch` steps from one shell; a failure names the netns and line as run() does. */
  private async runInShell(steps: readonly OverlayStep[]): Promise<void> {
    const script =
      [
        "set -e",
        ...steps.flatMap((s) => [
          `echo '@@${s.netns ?? ""}' >&2`,
          `ip -n '${s.netns ?? ""}' -batch - <<'SHOAL_EOF'`,
          ...s.lines,
          "SHOAL_EOF",
        ]),
      ].join("\n") + "\n";
    try {
      await this.exec("sh", ["-s"], { input: script });
    } catch (err) {
      const stderr = err instanceof NetworkCommandError ? err.stderr : "";
      const netns = [...stderr.matchAll(/^@@(.*)$/gm)].at(-1)?.[1];
      const step = steps.find((s) => s.netns === netns);
      const at = /Command failed -:(\d+)/.exec(stderr)?.[1];
      throw new OverlayStepError("ip", netns, at === undefined ? undefined : step?.lines[Number(at) - 1], {
        cause: err,
      });
    }
  }

  /** Runs one batch; a failure becomes an OverlayStepError naming the netns and, for ip and bridge, the line. */
  private async run(step: OverlayStep): Promise<void> {
    const input = step.lines.join("\n") + "\n";
    try {
      if (step.tool === "nft") await this.exec("ip", ["netns", "exec", step.netns ?? "", "nft", "-f", "-"], { input });
      else if (step.tool === "sysctl")
        await this.exec("ip", ["netns", "exec", step.netns ?? "", "sysctl", "-q", "-w", ...step.lines]);
      else
        await this.exec(step.tool, [...(step.netns === undefined ? [] : ["-n", step.netns]), "-batch", "-"], { input });
    } catch (err) {
      const at = err instanceof NetworkCommandError ? /Command failed -:(\d+)/.exec(err.stderr)?.[1] : undefined;
      const line =
        step.tool === "nft" || step.tool === "sysctl" || at === undefined ? undefined : step.lines[Number(at) - 1];
      throw new OverlayStepError(step.tool, step.netns, line, { cause: err });
    }
  }
}

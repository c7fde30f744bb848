/** A link as the overlay sees it, parsed from `ip -j -d addr show`. */
export interface ObservedLink {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mtu: number;
  readonly mac: string;
  readonly up: boolean;
  readonly master?: string;
  readonly kind?: string;
  readonly vxlan?: {
    readonly vni: number;
    readonly local: string;
    readonly port: number;
    readonly learning: boolean;
    readonly proxy: boolean;
  };
  /** IPv4 addresses as "a.b.c.d/len". */
  readonly addrs: readonly string[];
  /** The other end of a veth: the netns it is in (undefined: the same netns) and its ifindex there. */
  readonly peer?: { readonly netns?: string; readonly ifindex: number };
  /** The link's alias (`ip link set ... alias`): a finished overlay port carries its task's address. */
  readonly alias?: string;
  /** A bridge port that sends frames back where they came from (needed when a task reaches itself through a VIP). */
  readonly hairpin?: boolean;
}

/** An overlay network's netns as read. */
export interface ObservedNetworkNs {
  readonly links: readonly ObservedLink[];
  /** Permanent neighbour entries on the VXLAN device. */
  readonly neigh: readonly { readonly address: string; readonly mac: string }[];
  /** The VXLAN device's own forwarding entries (those with a tunnel destination). */
  readonly fdb: readonly { readonly mac: string; readonly dst: string }[];
  /** The values of NETWORK_SYSCTLS in the netns. */
  readonly sysctls: Readonly<Record<string, string>>;
  /** The marker chain of the VIP table (its content hash), "" for a table without one, undefined without the table. */
  readonly vipMarker?: string;
}

/** A task's netns as read (only those that get a new port: the names of its links). */
export interface ObservedTaskNs {
  readonly links: readonly ObservedLink[];
}

/** Everything the planner needs to know about the node. */
export interface ObservedNode {
  /** Every netns name `ip netns list` shows. */
  readonly netns: ReadonlySet<string>;
  /** The links of the node's own netns (for the underlay MTU and leftover VXLAN devices). */
  readonly links: readonly ObservedLink[];
  /** The overlay networks' namespaces (those with this object's prefix), by netns name. */
  readonly networks: ReadonlyMap<string, ObservedNetworkNs>;
  /** Task namespaces that get a new port (their links' names choose the new interface's name). */
  readonly tasks: ReadonlyMap<string, ObservedTaskNs>;
}

interface RawLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  address?: string;
  flags?: string[];
  master?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: { id?: number; local?: string; port?: number; learning?: boolean; proxy?: boolean };
    info_slave_data?: { hairpin?: boolean };
  };
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
  ifalias?: string;
}

/** Parses `ip -j -d addr show`; `nsNames` maps the netns ids of `ip -j netns list-id` to names. */
export function parseLinks(json: string, nsNames: ReadonlyMap<number, string> = new Map()): ObservedLink[] {
  return parseJsonList<RawLink>(json).map((l) => {
    const data = l.linkinfo?.info_data;
    const kind = l.linkinfo?.info_kind;
    const addrs = (l.addr_info ?? [])
      .filter((a) => a.family === "inet")
      .map((a) => `${a.local ?? ""}/${a.prefixlen ?? 0}`);
    const peerNs = l.link_netnsid === undefined ? undefined : (nsNames.get(l.link_netnsid) ?? `nsid:${l.link_netnsid}`);
    return {
      ifname: l.ifname,
      ifindex: l.ifindex,
      mtu: l.mtu,
      mac: l.address ?? "",
      up: l.flags?.includes("UP") ?? false,
      addrs,
      ...(l.master === undefined ? {} : { master: l.master }),
      ...(l.ifalias === undefined ? {} : { alias: l.ifalias }),
      ...(l.linkinfo?.info_slave_data?.hairpin === undefined ? {} : { hairpin: l.linkinfo.info_slave_data.hairpin }),
      ...(kind === undefined ? {} : { kind }),
      ...(kind === "vxlan" && data !== undefined
        ? {
            vxlan: {
              vni: data.id ?? 0,
              local: data.local ?? "",
              port: data.port ?? 0,
              learning: data.learning ?? true,
              proxy: data.proxy ?? false,
            },
          }
        : {}),
      ...(kind === "veth" && l.link_index !== undefined
        ? { peer: { ...(peerNs === undefined ? {} : { netns: peerNs }), ifindex: l.link_index } }
        : {}),
    };
  });
}

/** Parses `ip -j netns list-id` into nsid -> name. */
export function parseNsIds(json: string): Map<number, string> {
  return new Map(
    parseJsonList<{ nsid: number; name?: string }>(json).flatMap((e) =>
      e.name === undefined ? [] : [[e.nsid, e.name] as const],
    ),
  );
}

/** Parses `ip -j neigh show`: the permanent entries (of device `dev` when given). */
export function parseNeigh(json: string, dev?: string): { address: string; mac: string }[] {
  return parseJsonList<{ dst: string; dev?: string; lladdr?: string; state?: string[] }>(json)
    .filter(
      (n) => n.state?.includes("PERMANENT") === true && n.lladdr !== undefined && (dev === undefined || n.dev === dev),
    )
    .map((n) => ({ address: n.dst, mac: n.lladdr ?? "" }));
}

/** Parses `bridge -j fdb show dev <vxlan>`: the device's own entries with a tunnel destination. */
export function parseFdb(json: string): { mac: string; dst: string }[] {
  return parseJsonList<{ mac: string; dst?: string }>(json).flatMap((e) =>
    e.dst === undefined ? [] : [{ mac: e.mac, dst: e.dst }],
  );
}

/** Parses `nft -j list chains ip`: the marker chain of `table`, "" when it has none, undefined without the table. */
export function parseVipMarker(json: string, table: string): string | undefined {
  if (json.trim() === "") return undefined;
  const items = (JSON.parse(json) as { nftables?: { chain?: { table: string; name: string } }[] }).nftables ?? [];
  const chains = items.flatMap((i) => (i.chain?.table === table ? [i.chain.name] : []));
  if (chains.length === 0) return undefined;
  return chains.find((c) => c.startsWith(VIP_MARKER_PREFIX)) ?? "";
}

/** What the VIP table's marker chain name starts with; the rest is a hash of the table's rules. */
export const VIP_MARKER_PREFIX = "h_";

/** The key that tells each kind of `ip -j` list apart, most specific first. */
const LIST_KEYS = ["nsid", "ifindex", "dst", "name"] as const;
export type JsonListKey = (typeof LIST_KEYS)[number];

/**
 * Sorts the output of an `ip -j -batch` run (one JSON list a line) by what each list holds: the list whose
 * entries carry `keys[i]` ("nsid": netns list-id, "ifindex": links, "dst": neighbours, "name": netns list)
 * is returned at i, "" when the run printed none (ip prints nothing, not `[]`, for some empty lists, so
 * counting lines would shift them).
 */
export function sortJsonLines(stdout: string, keys: readonly JsonListKey[]): string[] {
  const out = keys.map(() => "");
  for (const line of stdout.split("\n")) {
    const first = parseJsonList<Record<string, unknown>>(line)[0];
    if (first === undefined) continue;
    const key = LIST_KEYS.find((k) => k in first);
    const i = key === undefined ? -1 : keys.indexOf(key);
    if (i >= 0) out[i] = line;
  }
  return out;
}

/** Parses the JSON list `ip -j` prints; some versions print nothing instead of `[]`. */
export function parseJsonList<T>(stdout: string): T[] {
  return stdout.trim() === "" ? [] : (JSON.parse(stdout) as T[]);
}

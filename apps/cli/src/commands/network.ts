import type { Network, NetworkSpec } from "@shoal/api";
import type { Command } from "../context.js";
import { networkTable } from "../format/networks.js";
import { choice, parseLabel } from "../spec/values.js";
import { forEachRef, LIST_OPTIONS, oneArg, printList, requireArgs } from "./output.js";

/** `shoal network ls`. */
export const networkLsCommand: Command = {
  name: "network ls",
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List the cluster's networks",
  syntax: { options: LIST_OPTIONS },
  run: async (ctx, p) => {
    const networks = await ctx.client.call("networkList");
    printList(
      ctx,
      p,
      networks,
      (n) => n.id,
      () => networkTable(networks),
    );
    return 0;
  },
};

/** `shoal network create [--driver overlay] [--subnet CIDR [--gateway IP]] [--attachable] [--label k=v] NAME`. */
export const networkCreateCommand: Command = {
  name: "network create",
  usage: "[OPTIONS] NETWORK",
  summary: "Create an overlay network",
  syntax: {
    options: [
      { name: "driver", short: "d", type: "string", value: "DRIVER", help: "Network driver: overlay (the only one)" },
      {
        name: "subnet",
        type: "string",
        multiple: true,
        value: "CIDR",
        help: "Subnet of the network (default: a /24 of the cluster's pool, more as it fills)",
      },
      {
        name: "gateway",
        type: "string",
        multiple: true,
        value: "IP",
        help: "Gateway of each --subnet, in order (default its first address)",
      },
      { name: "attachable", type: "boolean", help: "Let standalone containers attach, not only services' tasks" },
      { name: "ingress", type: "boolean", help: "Make it the routing mesh's network (one per cluster)" },
      { name: "label", type: "string", multiple: true, value: "KEY=VALUE", help: "Network label" },
    ],
  },
  run: async (ctx, p) => {
    const name = oneArg(p, "NETWORK");
    const driver = p.string("driver");
    if (driver !== undefined) choice("driver", driver, ["overlay"] as const);
    const gateways = p.strings("gateway");
    const subnets = p
      .strings("subnet")
      .map((subnet, i) => ({ subnet, ...(gateways[i] === undefined ? {} : { gateway: gateways[i] }) }));
    if (gateways.length > subnets.length)
      throw p.usage("--gateway: each gateway belongs to a --subnet; give as many --subnet as --gateway");
    const spec: Partial<NetworkSpec> & { name: string } = {
      name,
      driver: "overlay",
      subnets,
      attachable: p.flag("attachable"),
      ingress: p.flag("ingress"),
      labels: Object.fromEntries(p.strings("label").map((l) => parseLabel(l, "label"))),
    };
    const created: Network = await ctx.client.call("networkCreate", { body: spec });
    ctx.out(`${created.id}\n`);
    return 0;
  },
};

/** `shoal network inspect NETWORK...`: JSON array, like docker. */
export const networkInspectCommand: Command = {
  name: "network inspect",
  usage: "NETWORK [NETWORK...]",
  summary: "Show networks in detail (JSON)",
  syntax: { options: [] },
  run: async (ctx, p) => {
    const found: Network[] = [];
    const code = await forEachRef(ctx, requireArgs(p, 1, "NETWORK"), async (ref) => {
      found.push(await ctx.client.call("networkInspect", { params: { ref } }));
    });
    ctx.json(found);
    return code;
  },
};

/** `shoal network rm NETWORK...`. */
export const networkRmCommand: Command = {
  name: "network rm",
  aliases: ["remove"],
  usage: "NETWORK [NETWORK...]",
  summary: "Remove networks no service uses",
  syntax: { options: [] },
  run: (ctx, p) =>
    forEachRef(ctx, requireArgs(p, 1, "NETWORK"), async (ref) => {
      await ctx.client.call("networkRemove", { params: { ref } });
      ctx.out(`${ref}\n`);
    }),
};

import type { Node } from "@shoal/api";
import type { Command } from "../context.js";
import { nodeTable } from "../format/nodes.js";
import { choice, parseLabel } from "../spec/values.js";
import { forEachRef, LIST_OPTIONS, oneArg, printList, requireArgs, withVersionRetry } from "./output.js";

/** `shoal node ls`. */
export const nodeLsCommand: Command = {
  name: "node ls",
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List the nodes of the cluster",
  syntax: { options: LIST_OPTIONS },
  run: async (ctx, p) => {
    const [nodes, info] = await Promise.all([
      ctx.client.call("nodeList", { query: {} }),
      ctx.client.call("info").catch(() => undefined),
    ]);
    printList(
      ctx,
      p,
      nodes,
      (n) => n.id,
      () => nodeTable(nodes, info?.nodeId),
    );
    return 0;
  },
};

/** `shoal node inspect NODE...`: JSON array, like docker. */
export const nodeInspectCommand: Command = {
  name: "node inspect",
  usage: "NODE [NODE...]",
  summary: "Show nodes in detail (JSON)",
  syntax: { options: [] },
  run: async (ctx, p) => {
    const found: Node[] = [];
    const code = await forEachRef(ctx, requireArgs(p, 1, "NODE"), async (ref) => {
      found.push(await ctx.client.call("nodeInspect", { params: { ref } }));
    });
    ctx.json(found);
    return code;
  },
};

/** `shoal node update --availability ... --label-add k=v --label-rm k NODE`. */
export const nodeUpdateCommand: Command = {
  name: "node update",
  usage: "[OPTIONS] NODE",
  summary: "Change a node's availability or labels",
  syntax: {
    options: [
      { name: "availability", type: "string", value: "STATE", help: "active, pause or drain" },
      { name: "label-add", type: "string", multiple: true, value: "KEY=VALUE", help: "Add or update a node label" },
      { name: "label-rm", type: "string", multiple: true, value: "KEY", help: "Remove a node label" },
      { name: "role", type: "string", value: "ROLE", help: "worker or manager" },
    ],
  },
  run: async (ctx, p) => {
    const ref = oneArg(p, "NODE");
    const availability = p.string("availability");
    const avail =
      availability === undefined
        ? undefined
        : choice("availability", availability, ["active", "pause", "drain"] as const);
    const roleFlag = p.string("role");
    const role = roleFlag === undefined ? undefined : choice("role", roleFlag, ["worker", "manager"] as const);
    const add = p.strings("label-add").map((l) => parseLabel(l, "label-add"));
    await withVersionRetry(
      () => ctx.client.call("nodeInspect", { params: { ref } }),
      (node) => {
        const labels = { ...node.spec.labels };
        for (const k of p.strings("label-rm")) delete labels[k];
        for (const [k, v] of add) labels[k] = v;
        const spec = { ...node.spec, labels, ...(avail ? { availability: avail } : {}), ...(role ? { role } : {}) };
        return ctx.client.call("nodeUpdate", { params: { ref: node.id }, body: { version: node.version, spec } });
      },
    );
    ctx.out(`${ref}\n`);
    return 0;
  },
};

/** `shoal node promote|demote NODE...`: the role change through `node update`'s path (quorum checks on the leader). */
function roleCommand(name: "promote" | "demote", role: "manager" | "worker"): Command {
  return {
    name: `node ${name}`,
    usage: "NODE [NODE...]",
    summary:
      name === "promote"
        ? "Make nodes managers"
        : "Make managers workers (refused when the managers left would lose their quorum)",
    syntax: { options: [] },
    run: async (ctx, p) => {
      if (p.positionals.length === 0) throw p.usage("give at least one NODE");
      for (const ref of p.positionals) {
        await withVersionRetry(
          () => ctx.client.call("nodeInspect", { params: { ref } }),
          (node) =>
            ctx.client.call("nodeUpdate", {
              params: { ref: node.id },
              body: { version: node.version, spec: { ...node.spec, role } },
            }),
        );
        ctx.out(`Node ${ref} ${name}d: it is now a ${role}.\n`);
      }
      return 0;
    },
  };
}
export const nodePromoteCommand = roleCommand("promote", "manager");
export const nodeDemoteCommand = roleCommand("demote", "worker");

/** `shoal node rm [--force] NODE...`. */
export const nodeRmCommand: Command = {
  name: "node rm",
  usage: "[OPTIONS] NODE [NODE...]",
  summary: "Remove nodes that are down (with --force also ready ones and managers, which leave Raft)",
  syntax: { options: [{ name: "force", short: "f", type: "boolean", help: "Remove even a ready node or a manager" }] },
  run: async (ctx, p) => {
    if (p.positionals.length === 0) throw p.usage("give at least one NODE");
    for (const ref of p.positionals) {
      await ctx.client.call("nodeRemove", { params: { ref }, query: p.flag("force") ? { force: "true" } : {} });
      ctx.out(`${ref}\n`);
    }
    return 0;
  },
};

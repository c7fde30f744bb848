import type { ServiceWithStatus, Task } from "@shoal/api";
import type { Command } from "../context.js";
import { servicePretty } from "../format/service-pretty.js";
import { serviceTable } from "../format/services.js";
import { psTable } from "../format/tasks.js";
import { forEachRef, LIST_OPTIONS, printList, requireArgs } from "./output.js";

/** `shoal service ls`. */
export const serviceLsCommand: Command = {
  name: "service ls",
  aliases: ["list"],
  usage: "[OPTIONS]",
  summary: "List services",
  syntax: { options: LIST_OPTIONS },
  run: async (ctx, p) => {
    const services = await ctx.client.call("serviceList", { query: {} });
    printList(
      ctx,
      p,
      services,
      (s) => s.id,
      () => serviceTable(services),
    );
    return 0;
  },
};

/** `shoal service inspect SERVICE... [--pretty]`. */
export const serviceInspectCommand: Command = {
  name: "service inspect",
  usage: "[OPTIONS] SERVICE [SERVICE...]",
  summary: "Show services in detail (JSON, or text with --pretty)",
  syntax: { options: [{ name: "pretty", type: "boolean", help: "Print the information in a human friendly format" }] },
  run: async (ctx, p) => {
    const found: ServiceWithStatus[] = [];
    const code = await forEachRef(ctx, requireArgs(p, 1, "SERVICE"), async (ref) => {
      found.push(await ctx.client.call("serviceInspect", { params: { ref } }));
    });
    if (p.flag("pretty")) ctx.out(found.map(servicePretty).join("\n"));
    else ctx.json(found);
    return code;
  },
};

/** `shoal service rm SERVICE...`. */
export const serviceRmCommand: Command = {
  name: "service rm",
  aliases: ["remove"],
  usage: "SERVICE [SERVICE...]",
  summary: "Remove services and their tasks",
  syntax: { options: [] },
  run: (ctx, p) =>
    forEachRef(ctx, requireArgs(p, 1, "SERVICE"), async (ref) => {
      await ctx.client.call("serviceRemove", { params: { ref } });
      ctx.out(`${ref}\n`);
    }),
};

const FILTER_KEYS = ["desired-state", "node", "id", "name"] as const;

/** `shoal service ps SERVICE...`. */
export const servicePsCommand: Command = {
  name: "service ps",
  usage: "[OPTIONS] SERVICE [SERVICE...]",
  summary: "List the tasks of services, with their history and why pending tasks wait",
  syntax: {
    options: [
      ...LIST_OPTIONS,
      { name: "no-trunc", type: "boolean", help: "Do not truncate ids and errors" },
      {
        name: "filter",
        short: "f",
        type: "string",
        multiple: true,
        value: "KEY=VALUE",
        help: "Filter: desired-state=running|shutdown|..., node=NODE, id=ID, name=NAME",
      },
    ],
  },
  run: async (ctx, p) => {
    const filters = p.strings("filter").map((f) => {
      const eq = f.indexOf("=");
      const key = f.slice(0, Math.max(0, eq));
      if (eq < 0 || !(FILTER_KEYS as readonly string[]).includes(key))
        throw p.usage(`invalid --filter ${JSON.stringify(f)}: use ${FILTER_KEYS.map((k) => `${k}=...`).join(", ")}`);
      return [key, f.slice(eq + 1)] as const;
    });
    const refs = requireArgs(p, 1, "SERVICE");
    const nodes = await ctx.client.call("nodeList", { query: {} });
    const nodeNames = new Map(nodes.map((n) => [n.id, n.description.hostname]));
    const serviceNames = new Map<string, string>();
    const tasks: Task[] = [];
    const code = await forEachRef(ctx, refs, async (ref) => {
      const s = await ctx.client.call("serviceInspect", { params: { ref } });
      serviceNames.set(s.id, s.spec.name);
      tasks.push(...(await ctx.client.call("taskList", { query: { service: s.id } })));
    });
    if (serviceNames.size === 0) return code;
    const keep = tasks.filter((t) =>
      filters.every(([k, v]) => {
        if (k === "desired-state") return t.desiredState === v;
        if (k === "node") return t.nodeId !== undefined && (t.nodeId.startsWith(v) || nodeNames.get(t.nodeId) === v);
        if (k === "id") return t.id.startsWith(v);
        return `${serviceNames.get(t.serviceId) ?? ""}.${t.slot ?? t.nodeId ?? ""}`.startsWith(v);
      }),
    );
    printList(
      ctx,
      p,
      keep,
      (t) => t.id,
      () => psTable(keep, { serviceNames, nodeNames, now: Date.now(), noTrunc: p.flag("no-trunc") }),
    );
    return code;
  },
};

import type { Command } from "../context.js";
import { clusterStatusText } from "../format/cluster-status.js";
import { choice } from "../spec/values.js";

/** `shoal cluster status [--format table|json]`. */
export const clusterStatusCommand: Command = {
  name: "cluster status",
  usage: "[OPTIONS]",
  summary: "Show the managers: which one leads, term, commit index, and each one's reachability and lag",
  syntax: {
    options: [
      { name: "format", type: "string", value: "FORMAT", help: "Output: table (default) or json (the API object)" },
    ],
  },
  run: async (ctx, p) => {
    const format = choice("format", p.string("format") ?? "table", ["table", "json"] as const);
    const status = await ctx.client.call("clusterStatus");
    if (format === "json") ctx.json(status);
    else ctx.out(clusterStatusText(status));
    return 0;
  },
};

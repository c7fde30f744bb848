import type { Command } from "../context.js";
import { UsageError } from "../errors.js";
import { oneArg } from "./output.js";

const ROLES = ["worker", "manager"] as const;

/** `shoal cluster join-token [--rotate] [-q] worker|manager`: shows a role's join token, or rotates it first. */
export const clusterJoinTokenCommand: Command = {
  name: "cluster join-token",
  usage: "[OPTIONS] worker|manager",
  summary: "Show the join command of a role, or give the role a new token",
  syntax: {
    options: [
      {
        name: "rotate",
        type: "boolean",
        help: "Give the role a new token first: the old one is refused at once (nodes that joined with it stay)",
      },
      { name: "quiet", short: "q", type: "boolean", help: "Print the token only" },
    ],
  },
  run: async (ctx, p) => {
    const role = oneArg(p, "ROLE");
    if (!(ROLES as readonly string[]).includes(role))
      throw new UsageError(`${JSON.stringify(role)} is not a role: use worker or manager`);
    const r = role as (typeof ROLES)[number];
    if (p.flag("rotate")) await ctx.client.call("joinTokensRotate", { body: { role: r } });
    const token = (await ctx.client.call("joinTokens"))[r];
    if (p.flag("quiet")) {
      ctx.out(`${token}\n`);
      return 0;
    }
    const info = await ctx.client.call("info");
    ctx.out(
      [
        ...(p.flag("rotate") ? [`The ${r} join token was rotated: the previous one no longer admits nodes.`, ""] : []),
        `To add a ${r} to this cluster, run the following command:`,
        "",
        `    shoal cluster join --token ${token} ${info.managerAddr}`,
        "",
      ].join("\n"),
    );
    return 0;
  },
};

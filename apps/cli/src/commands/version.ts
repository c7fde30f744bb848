import { ApiError } from "@shoal/api";
import { createRequire } from "node:module";
import type { Command } from "../context.js";

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

/** The CLI's version. */
export const CLI_VERSION: string = pkg.version;

/** `shoal version`: the CLI's version and, when a manager answers, the manager's. */
export const versionCommand: Command = {
  name: "version",
  usage: "",
  summary: "Show the CLI's version and the manager's",
  syntax: { options: [] },
  run: async (ctx) => {
    ctx.out(`Client:\n Version:  ${CLI_VERSION}\n Node:     ${process.version}\n`);
    try {
      const info = await ctx.client.call("info");
      ctx.out(
        `\nManager (${ctx.client.manager.replace(/^https?:\/\//, "")}):\n Version:  ${info.version}\n Cluster:  ${info.clusterId}\n Node:     ${info.nodeId}\n Leader:   ${info.raft.leader ? "yes" : (info.raft.leaderApiAddr ?? info.raft.leaderId ?? "unknown")}\n`,
      );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      ctx.out(`\nManager: not reachable (${e.message})\n`);
    }
    return 0;
  },
};

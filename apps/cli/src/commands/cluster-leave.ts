import { rmSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "@shoal/api";
import { isSystemdManaged, removeUnit } from "@shoal/agent/systemd";
import type { Command, Context } from "../context.js";
import { CliError } from "../errors.js";
import { runningPid } from "../local/processes.js";
import { stopNodeDaemon } from "./cluster.js";
import { withVersionRetry } from "./output.js";

/**
 * Before a manager's node leaves: with other managers, its manager leaves Raft first (a demotion, refused when
 * the managers left would lose their quorum, unless forced); as the last manager it leaves only with --force,
 * since the cluster's state goes with it.
 */
async function leaveAsManager(ctx: Context, force: boolean): Promise<void> {
  let managers: number;
  try {
    managers = (await ctx.client.call("clusterInspect")).managers.length;
  } catch (e) {
    if (!force)
      throw new CliError(
        "SHOAL_ERR_MANAGER_LEAVE",
        `this node is a manager and the cluster cannot be asked whether others remain (${(e as Error).message})`,
        "bring the managers back, or use --force",
      );
    ctx.err(`Warning: the cluster could not be reached (${(e as Error).message}); leaving anyway\n`);
    return;
  }
  if (managers <= 1) {
    if (!force)
      throw new CliError(
        "SHOAL_ERR_MANAGER_LEAVE",
        "this node is the cluster's only manager; leaving removes the cluster's state: use --force",
        "add another manager first, or use --force to erase the cluster",
      );
    return;
  }
  try {
    const nodeId =
      (await ctx.agent.call<{ nodeId?: string }>({ method: "GET", path: "/v1/info", timeoutMs: 5_000 })).nodeId ?? "";
    await withVersionRetry(
      () => ctx.client.call("nodeInspect", { params: { ref: nodeId } }),
      (node) =>
        ctx.client.call("nodeUpdate", {
          params: { ref: node.id },
          body: { version: node.version, spec: { ...node.spec, role: "worker" } },
        }),
    );
    ctx.out("This node's manager left the managers.\n");
  } catch (e) {
    if (!force) throw e;
    ctx.err(
      `Warning: this node's manager could not leave the managers (${(e as Error).message}); leaving anyway, remove it later with \`shoal node rm --force\`\n`,
    );
  }
}

/** `shoal cluster leave [--force]`. */
export const clusterLeaveCommand: Command = {
  name: "cluster leave",
  usage: "[OPTIONS]",
  summary: "Leave the cluster: stop this node's tasks and daemons and remove their state",
  syntax: {
    options: [
      {
        name: "force",
        short: "f",
        type: "boolean",
        help: "Leave even as the last manager (erases the cluster's state) or when the managers' quorum would be lost",
      },
    ],
  },
  run: async (ctx, p) => {
    const managerPid = runningPid(join(ctx.dataDir, "manager.pid"), "manager");
    const agentPid = runningPid(join(ctx.dataDir, "agent.pid"), "agent");
    if (managerPid !== undefined) await leaveAsManager(ctx, p.flag("force"));
    if (managerPid === undefined && agentPid === undefined && !p.flag("force")) {
      throw new CliError(
        "SHOAL_ERR_NOT_IN_CLUSTER",
        `this node is not part of a cluster (no manager or agent runs for ${ctx.dataDir})`,
        "use --force to remove leftover state anyway",
      );
    }
    if (agentPid !== undefined) {
      try {
        await ctx.agent.call({ method: "POST", path: "/v1/leave", json: {}, timeoutMs: 120_000 });
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        ctx.err(`Warning: the agent did not leave cleanly (${e.message}); stopping it anyway\n`);
      }
      await stopNodeDaemon("agent", agentPid);
    }
    if (managerPid !== undefined) await stopNodeDaemon("manager", managerPid);
    // A unit whose daemon was not running (failed, or stopped by hand) must not come back at the next boot.
    for (const role of ["agent", "manager"] as const) if (isSystemdManaged(role)) removeUnit(role);
    for (const f of ["agent.pid", "manager.pid", "agent", "manager", "certificates", "context.json"])
      rmSync(join(ctx.dataDir, f), { recursive: true, force: true });
    ctx.out("Node left the cluster.\n");
    return 0;
  },
};

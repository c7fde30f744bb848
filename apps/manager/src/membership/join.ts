import { ShoalClient, type ManagerJoinReply, type ManagerJoinRequest } from "@shoal/api";
import { ManagerStartError } from "../errors.js";

/** Asks the cluster's managers to add this one (the request reaches the leader); retried while it cannot be reached. */
export async function joinAsManager(
  j: { managers: string[]; token: string },
  where: Omit<ManagerJoinRequest, "token">,
): Promise<ManagerJoinReply> {
  const client = new ShoalClient({ managers: j.managers, timeoutMs: 60_000 });
  try {
    return await client.call("clusterManagerJoin", { body: { token: j.token, ...where } });
  } catch (e) {
    throw new ManagerStartError(
      `manager: cannot join the cluster through ${j.managers.join(", ")}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

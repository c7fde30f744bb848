import type { ManagerJoinReply, ManagerJoinRequest } from "@shoal/api";
import type { RaftNode } from "@shoal/raft";
import { updateOf, type Command } from "@shoal/store";
import { ManagerError } from "../errors.js";
import type { LoopLog } from "../log.js";
import type { ClusterStore } from "../store/cluster-store.js";
import { newSecret } from "../ids.js";
import { routeSecretChanges } from "../model/route-secret.js";
import { checkRemoval } from "./quorum.js";

/**
 * Adds a manager (on the leader): a new Raft id (never one used before), the member added as a learner (it
 * does not count toward quorum until it has caught up), the manager listed in the cluster object, and a
 * promotion to voter started (`promote`). A retry from the same Raft address while it is still a learner gets
 * the same id; a voter at that address is refused, since it would come back without its log.
 */
export async function addManager(
  raft: RaftNode,
  store: ClusterStore,
  req: ManagerJoinRequest & { nodeId: string },
  promote: () => void,
): Promise<ManagerJoinReply> {
  const state = await store.read();
  const cluster = state.cluster();
  if (!cluster || !state.secrets())
    throw new ManagerError("SHOAL_ERR_NOT_READY", "the cluster is not initialized yet", { hint: "retry in a second" });
  const conf = raft.status().conf;
  const existing = cluster.managers.find((m) => m.raftAddr === req.raftAddr);
  if (existing && conf.voters.includes(existing.raftId)) {
    throw new ManagerError(
      "SHOAL_ERR_MANAGER_EXISTS",
      `a manager at ${req.raftAddr} is already a member (Raft id ${existing.raftId})`,
      {
        hint: "a manager that lost its data must be removed first (`shoal node demote` / `shoal node rm --force`) and then join again, or use another address",
      },
    );
  }
  const used = [
    cluster.lastRaftId ?? 0,
    ...cluster.managers.map((m) => m.raftId),
    ...conf.voters,
    ...conf.learners,
    ...conf.removed,
  ];
  const raftId = existing?.raftId ?? Math.max(...used) + 1;
  // The membership records the node whose manager certificate this member must present on Raft's port.
  await raft.addMember(raftId, { address: req.raftAddr, nodeId: req.nodeId }, { voter: false });
  const entry = {
    raftId,
    apiAddr: req.apiAddr,
    natsUrl: req.natsUrl,
    raftAddr: req.raftAddr,
    natsRouteAddr: req.natsRouteAddr,
    nodeId: req.nodeId,
  };
  const fresh = (await store.read()).cluster() ?? cluster;
  await store.write([
    updateOf("cluster", fresh, {
      managers: [...fresh.managers.filter((m) => m.raftId !== raftId), entry],
      lastRaftId: Math.max(raftId, fresh.lastRaftId ?? 0),
    }),
  ]);
  promote();
  const managers = [...fresh.managers.filter((m) => m.raftId !== raftId), entry];
  return {
    clusterId: cluster.id,
    raftId,
    members: managers.map((m) => ({ id: m.raftId, address: m.raftAddr, ...(m.nodeId ? { nodeId: m.nodeId } : {}) })),
    natsRouteAddrs: managers
      .filter((m) => m.raftId !== raftId)
      .flatMap((m) => (m.natsRouteAddr ? [m.natsRouteAddr] : [])),
  };
}

/**
 * Promotes learners that the cluster lists as managers to voters once they have caught up, and removes from
 * Raft the members it does not list (leader only).
 * Runs on `kick()` (a manager joined) and every few seconds, so a promotion a previous leader did not finish
 * is finished by the next one.
 */
export class ManagerPromoter {
  private readonly timer: NodeJS.Timeout;
  private readonly inProgress = new Set<number>();
  private stopped = false;

  constructor(
    private readonly raft: RaftNode,
    private readonly store: ClusterStore,
    private readonly log: LoopLog,
    everyMs = 5_000,
  ) {
    this.timer = setInterval(() => this.kick(), everyMs);
    this.kick();
  }

  kick(): void {
    if (this.stopped || !this.raft.isLeader()) return;
    const { conf, id: self } = this.raft.status();
    const learners = conf.learners;
    const listed = new Set((this.store.state.cluster()?.managers ?? []).map((m) => m.raftId));
    // Members the cluster no longer lists (a removal that stopped half-way) leave Raft.
    for (const id of [...conf.voters, ...conf.learners]) {
      if (listed.has(id) || id === self || this.inProgress.has(id) || listed.size === 0) continue;
      this.inProgress.add(id);
      this.raft
        .removeMember(id)
        .then(
          () => this.log.info("member the cluster no longer lists removed from Raft", { raftId: id }),
          (e: unknown) =>
            this.log.warn("cannot remove an unlisted member yet; retrying", {
              raftId: id,
              error: (e as Error).message,
            }),
        )
        .finally(() => this.inProgress.delete(id));
    }
    for (const m of this.store.state.cluster()?.managers ?? []) {
      if (!learners.includes(m.raftId) || this.inProgress.has(m.raftId)) continue;
      this.inProgress.add(m.raftId);
      this.raft
        .addMember(m.raftId, { address: m.raftAddr, nodeId: m.nodeId })
        .then(
          () => this.log.info("manager promoted to voter", { raftId: m.raftId, raftAddr: m.raftAddr }),
          (e: unknown) =>
            this.log.warn("manager not promoted yet; retrying", { raftId: m.raftId, error: (e as Error).message }),
        )
        .finally(() => this.inProgress.delete(m.raftId));
    }
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }
}

/** The manager entry of a node (the one whose API address is on the node's address), if it is a manager. */
export function managerOfNode(
  managers: readonly { raftId: number; apiAddr: string }[],
  nodeAddr: string,
): { raftId: number; apiAddr: string } | undefined {
  return managers.find((m) => m.apiAddr.slice(0, m.apiAddr.lastIndexOf(":")) === nodeAddr);
}

/**
 * Removes a node's manager from Raft and from the cluster's managers (on the leader): refused, unless
 * `force`, when the managers left would have no reachable majority (checkRemoval). When it is the leader
 * itself, leadership moves to another reachable voter first and the caller is told to retry (503 no leader,
 * which clients retry), so the new leader removes it. `alsoWrite` (a demotion's new node role) is committed
 * with the unlisting, in one write: nobody sees the manager unlisted while its node still says manager (its
 * agent would start a manager again), and a refused write leaves both as they were. Resolves true when it
 * wrote `alsoWrite`, false when the node's manager was not listed (nothing written).
 */
export async function removeManager(
  raft: RaftNode,
  store: ClusterStore,
  nodeAddr: string,
  force: boolean,
  alsoWrite: readonly Command[] = [],
): Promise<boolean> {
  const cluster = (await store.read()).cluster();
  const entry = cluster ? managerOfNode(cluster.managers, nodeAddr) : undefined;
  if (!cluster || !entry) return false;
  const st = raft.status();
  const reachable = [st.id, ...[...st.progress].filter(([, p]) => p.recentActive).map(([id]) => id)];
  const check = checkRemoval({ voters: st.conf.voters, reachable }, entry.raftId);
  if (!check.ok && !force)
    throw new ManagerError(
      "SHOAL_ERR_QUORUM",
      `removing the manager on ${nodeAddr} would break the managers' quorum: ${check.reason}`,
      { hint: check.hint },
    );
  if (entry.raftId === st.id) {
    const to = st.conf.voters.find((id) => id !== st.id && reachable.includes(id));
    if (to === undefined)
      throw new ManagerError(
        "SHOAL_ERR_QUORUM",
        `the manager on ${nodeAddr} leads and no other manager can take over`,
        { hint: "add or bring back another manager first" },
      );
    await raft.transferLeadership(to);
    throw new ManagerError("SHOAL_ERR_NO_LEADER", "leadership moved off this manager so that it can be removed", {
      hint: "retry: the new leader removes it",
    });
  }
  // Unlisted first, while it still receives the log: it sees that and stops itself. Then out of Raft (the
  // promoter removes members the cluster does not list, should this step not happen now). The routes between
  // the managers' bus servers get a new secret in the same write: the others reload and refuse its routes.
  const read = await store.read();
  const fresh = read.cluster() ?? cluster;
  const secrets = read.secrets();
  await store.write([
    updateOf("cluster", fresh, { managers: fresh.managers.filter((m) => m.raftId !== entry.raftId) }),
    ...(secrets ? routeSecretChanges(secrets, { rotate: true }, () => newSecret(40)) : []),
    ...alsoWrite,
  ]);
  // The unlisting is committed, but the removed manager learns that only from a later message that carries
  // the commit index: once out of Raft it would get none and run on, unaware. So one more entry goes out, and
  // the removal waits (a few seconds at most: it may be down) until the manager has acknowledged it, which
  // means it received a commit index that covers the unlisting.
  const after = (await store.read()).cluster() ?? fresh;
  const [mark] = await store.write([updateOf("cluster", after, {})]);
  if (mark) await acknowledged(raft, entry.raftId, mark.index, 5_000);
  if (st.conf.voters.includes(entry.raftId) || st.conf.learners.includes(entry.raftId))
    await raft.removeMember(entry.raftId);
  return true;
}

/** Resolves once member `id` has acknowledged the log up to `index`, or after `timeoutMs` (it may be down). */
async function acknowledged(raft: RaftNode, id: number, index: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (raft.status().progress.get(id)?.match ?? 0) < index)
    await new Promise((r) => setTimeout(r, 20));
}

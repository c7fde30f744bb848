import type { ClusterSecrets } from "@shoal/api";
import { withoutMeta, type Command } from "@shoal/store";
import { parseUnlockKey } from "@shoal/trust";
import { ManagerError } from "../errors.js";
import type { Handlers } from "./handlers.js";
import { clusterOf, readState, secretsOf } from "./store-reads.js";

/**
 * The handlers of autolock's routes (`access: "admin"`, docs/design/trust.md §4.9). They run on the leader (a
 * follower forwards every POST) and change the cluster's secrets (`unlock`) and the cluster object's public
 * `autolock` (the key's id only) in one Raft write; each manager then wraps or unwraps its own data key
 * (keys/autolock-keeper.ts). The key is never in an answer. `unlock` is served by a locked manager's socket
 * (locked-socket.ts); a manager that answers here is not locked.
 */
export const autolockHandlers: Pick<Handlers, "clusterAutolock" | "unlockKeyRotate" | "unlock"> = {
  clusterAutolock: async (ctx, { body }) => {
    const state = await readState(ctx);
    const cluster = clusterOf(state);
    const secrets = secretsOf(state);
    if (body.enabled) {
      if (secrets.unlock)
        throw new ManagerError(
          "SHOAL_ERR_AUTOLOCK_ON",
          `autolock is already on, with unlock key ${secrets.unlock.id}: it was left as it is`,
          { hint: "to replace the unlock key, run `shoal cluster unlock-key --rotate`" },
        );
      await ctx.store.write(setKey(cluster, secrets, body.unlockKey, now(ctx)));
      return;
    }
    // Already off: nothing to write.
    if (!secrets.unlock && !cluster.autolock) return;
    const { unlock: _, ...plain } = withoutMeta(secrets);
    const { autolock: __, ...open } = withoutMeta(cluster);
    await ctx.store.write([
      { op: "update", kind: "secret", object: plain, expectedVersion: secrets.version },
      { op: "update", kind: "cluster", object: open, expectedVersion: cluster.version },
    ]);
  },
  unlockKeyRotate: async (ctx, { body }) => {
    const state = await readState(ctx);
    const secrets = secretsOf(state);
    if (!secrets.unlock)
      throw new ManagerError("SHOAL_ERR_AUTOLOCK_OFF", "autolock is off: there is no unlock key to rotate", {
        hint: "turn it on with `shoal cluster update --autolock=true`",
      });
    await ctx.store.write(setKey(clusterOf(state), secrets, body.unlockKey, now(ctx)));
  },
  unlock: () =>
    Promise.reject(
      new ManagerError("SHOAL_ERR_NOT_LOCKED", "this manager is not locked: it already serves", {
        hint: "nothing to do; `shoal cluster status` shows the managers",
      }),
    ),
};

const now = (ctx: { clock?: () => number }): string => new Date((ctx.clock ?? Date.now)()).toISOString();

/**
 * The write that makes `text` the unlock key: into the secrets, and its id into the cluster object, each
 * conditional on the version read (a concurrent change fails the write rather than being overwritten).
 */
function setKey(cluster: ReturnType<typeof clusterOf>, secrets: ClusterSecrets, text: string, at: string): Command[] {
  const key = parseUnlockKey(text);
  const unlock = { id: key.id, key: Buffer.from(key.secret).toString("base64"), createdAt: at };
  return [
    { op: "update", kind: "secret", object: { ...withoutMeta(secrets), unlock }, expectedVersion: secrets.version },
    {
      op: "update",
      kind: "cluster",
      object: { ...withoutMeta(cluster), autolock: { unlockKeyId: key.id, since: at } },
      expectedVersion: cluster.version,
    },
  ];
}

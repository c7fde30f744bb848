import { joinPem, DEFAULT_USER_CERT_EXPIRY_MS } from "@shoal/trust";
import { ManagerError } from "../errors.js";
import { newId } from "../ids.js";
import { checkNotLastAdmin, checkUserNameFree, newUserCommand, userInfo } from "../model/users.js";
import type { Handlers } from "./handlers.js";
import { resolveUser } from "./resolve.js";
import { clusterOf, readState, secretsOf } from "./store-reads.js";

/**
 * The handlers of the users' routes (`access: "admin"`, docs/design/trust.md §4.4, §4.6): create a user with a
 * certificate for the key of its CSR, list users, remove one. No answer holds an access token's hash.
 */
export const userHandlers: Pick<Handlers, "userCreate" | "userList" | "userRemove"> = {
  userCreate: async (ctx, { body }) => {
    // Runs on the leader (a follower forwards every POST): the user object and the record of its certificate are
    // one Raft write, and the answer leaves only once it is committed, so the certificate works at once.
    const state = await readState(ctx);
    const cluster = clusterOf(state);
    const secrets = secretsOf(state);
    checkUserNameFree(state, body.name);
    if (!ctx.issueCertificate)
      throw new ManagerError("SHOAL_ERR_NOT_READY", "this manager cannot issue certificates", {
        hint: "retry against another manager",
      });
    const userId = newId((ctx.clock ?? Date.now)());
    const issued = await ctx.issueCertificate(
      { kind: "user", clusterId: cluster.id.toLowerCase(), userId, name: body.name },
      body.csr,
      body.expiryMs ?? DEFAULT_USER_CERT_EXPIRY_MS,
    );
    await ctx.store.write([newUserCommand(userId, body, issued, body.accessTokenHash)]);
    const user = ctx.store.state.get("user", userId);
    if (!user) throw new Error(`manager: user ${userId} is not in the store after its write committed`);
    return { user: userInfo(user), certificate: joinPem(issued.chain), trust: joinPem(secrets.ca.roots) };
  },
  userList: async (ctx) =>
    (await readState(ctx))
      .list("user")
      .sort((a, b) => a.spec.name.localeCompare(b.spec.name))
      .map(userInfo),
  userRemove: async (ctx, { params }) => {
    const state = await readState(ctx);
    const user = resolveUser(state, params.ref);
    checkNotLastAdmin(state, user);
    // From this write on, the policy refuses the user's certificate: it no longer names a user of the store.
    await ctx.store.write([{ op: "delete", kind: "user", id: user.id, expectedVersion: user.version }]);
  },
};

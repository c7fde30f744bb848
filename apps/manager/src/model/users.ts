import type { User, UserInfo, UserSpec } from "@shoal/api";
import type { Command, StoreState } from "@shoal/store";
import { ManagerError } from "../errors.js";

/**
 * The API's users (docs/design/trust.md §4.4, §4.6), as pure decisions on the store's state: the object a new
 * user is written as, what the routes show of one, and the refusals of `userCreate` and `userRemove`.
 */

/** A certificate the cluster issued a user: what the user object records of it. */
export interface IssuedUserCertificate {
  readonly serial: string;
  readonly notAfter: Date;
}

/**
 * The command that creates user `id` holding the certificate just issued for it, and the SHA-256 of its
 * access token when given. Written in the same Raft write that records the issuance: a certificate is the
 * user's only once the store lists its serial.
 */
export function newUserCommand(
  id: string,
  spec: UserSpec,
  certificate: IssuedUserCertificate,
  accessTokenHash?: string,
): Command {
  const object: Omit<User, "version" | "createdAt" | "updatedAt"> = {
    id,
    spec: { name: spec.name, role: spec.role },
    certificates: [{ serial: certificate.serial, notAfter: certificate.notAfter.toISOString() }],
    ...(accessTokenHash === undefined ? {} : { accessTokenHash }),
  };
  return { op: "create", kind: "user", object };
}

/** A user as the admin routes show it: everything but its access token's hash. */
export function userInfo(user: User): UserInfo {
  const { accessTokenHash: _hash, ...info } = user;
  return info;
}

/**
 * Refuses a new user named like an existing one (409 SHOAL_ERR_ALREADY_EXISTS), before a certificate is
 * signed for it. The store refuses a duplicate name too, when two requests race.
 */
export function checkUserNameFree(state: StoreState, name: string): void {
  const taken = state.byName("user", name);
  if (taken)
    throw new ManagerError(
      "SHOAL_ERR_ALREADY_EXISTS",
      `a user named ${JSON.stringify(name)} already exists (id ${taken.id}, ${taken.spec.role})`,
      {
        hint: `pick another name, or remove that user first (\`shoal cluster user rm ${name}\`) to issue a new bundle under this name`,
      },
    );
}

/**
 * Refuses removing the last admin user (409 SHOAL_ERR_LAST_ADMIN): root on a manager node could still act
 * through the local socket, but nobody could administer the cluster from another machine.
 * NB: two admins removing each other at the same moment can both pass this check; root on a manager node then
 * creates a new admin user.
 */
export function checkNotLastAdmin(state: StoreState, user: User): void {
  if (user.spec.role !== "admin") return;
  if (state.list("user").some((u) => u.id !== user.id && u.spec.role === "admin")) return;
  throw new ManagerError("SHOAL_ERR_LAST_ADMIN", `user ${user.spec.name} is the cluster's last admin user`, {
    hint: "create another admin user first (`shoal cluster user create NAME --role admin`), then remove this one: one admin user at least is kept so that the cluster can be administered from other machines (root on a manager node can always act through the manager's local socket)",
  });
}

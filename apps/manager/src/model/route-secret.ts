import type { ClusterSecrets } from "@shoal/api";
import type { Command } from "@shoal/store";

/** The secrets as a store made before the route secret holds them: the bus token, no route secret. */
type StoredSecrets = Omit<ClusterSecrets, "routeSecret"> & { routeSecret?: string; busToken?: string };

/**
 * The change to the cluster's secrets a starting leader or a manager's departure needs, or none. `rotate` (a
 * manager left the managers) gives the routes between the managers' bus servers a new secret, so the servers
 * reload and drop the routes of a manager that is no longer one (it still knows the old secret). A store made
 * before the route secret existed gets one, and loses the shared bus token that clients used to present (the
 * migration, on the leader's first start of this version). Pure: `newSecret` makes the secret.
 */
export function routeSecretChanges(
  secrets: ClusterSecrets,
  o: { rotate: boolean },
  newSecret: () => string,
): Command[] {
  const stored = secrets as StoredSecrets;
  const missing = typeof stored.routeSecret !== "string" || stored.routeSecret === "";
  if (!o.rotate && !missing && !("busToken" in stored)) return [];
  const { version, createdAt: _c, updatedAt: _u, busToken: _b, routeSecret, ...rest } = stored;
  const object = { ...rest, routeSecret: o.rotate || missing ? newSecret() : (routeSecret as string) };
  return [{ op: "update", kind: "secret", object, expectedVersion: version }];
}

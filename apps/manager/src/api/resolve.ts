import type { Network, Node, Service, Task, User } from "@shoal/api";
import type { StoreState } from "@shoal/store";
import { ManagerError } from "../errors.js";
import { notFound } from "./errors.js";

function byPrefix<T extends { id: string }>(all: readonly T[], ref: string, what: string): T | undefined {
  const hits = all.filter((o) => o.id.startsWith(ref));
  if (hits.length > 1)
    throw new ManagerError(
      "SHOAL_ERR_AMBIGUOUS",
      `${what} id prefix ${JSON.stringify(ref)} matches ${hits.length} ${what}s`,
      { hint: "give more characters of the id" },
    );
  return hits[0];
}

/** A service by id, exact name, or unique id prefix (Docker's order). */
export function resolveService(state: StoreState, ref: string): Service {
  const s =
    state.get("service", ref) ?? state.byName("service", ref) ?? byPrefix(state.list("service"), ref, "service");
  if (!s) throw notFound("service", ref);
  return s;
}

export function resolveNetwork(state: StoreState, ref: string): Network {
  const n =
    state.get("network", ref) ?? state.byName("network", ref) ?? byPrefix(state.list("network"), ref, "network");
  if (!n) throw notFound("network", ref);
  return n;
}

/** A node by id, hostname (when unique) or unique id prefix. */
export function resolveNode(state: StoreState, ref: string): Node {
  const exact = state.get("node", ref);
  if (exact) return exact;
  const named = state.list("node").filter((n) => n.description.hostname === ref);
  if (named.length > 1)
    throw new ManagerError("SHOAL_ERR_AMBIGUOUS", `${named.length} nodes have hostname ${JSON.stringify(ref)}`, {
      hint: "use the node id",
    });
  const n = named[0] ?? byPrefix(state.list("node"), ref, "node");
  if (!n) throw notFound("node", ref);
  return n;
}

export function resolveTask(state: StoreState, ref: string): Task {
  const t = state.get("task", ref) ?? byPrefix(state.list("task"), ref, "task");
  if (!t) throw notFound("task", ref, "list them with `shoal service ps SERVICE`");
  return t;
}

/** A user by id, exact name, or unique id prefix. */
export function resolveUser(state: StoreState, ref: string): User {
  const u = state.get("user", ref) ?? state.byName("user", ref) ?? byPrefix(state.list("user"), ref, "user");
  if (!u) throw notFound("user", ref, "list them with `shoal cluster user ls`");
  return u;
}

import type { X509Certificate } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { BadIdentityError } from "./errors.js";

/**
 * Who a certificate names: a node's agent or manager process, or a user, in one cluster. Certificates say who;
 * the store says what they may do (role, existence and revocation are read there on each use).
 */
export type Identity =
  | { readonly kind: "agent" | "manager"; readonly clusterId: string; readonly nodeId: string }
  | { readonly kind: "user"; readonly clusterId: string; readonly userId: string };

/** The kinds of certificate a cluster issues to processes and people. */
export type IdentityKind = Identity["kind"];

/** The scheme of Shoal identity URIs. */
export const IDENTITY_SCHEME = "shoal:";

/** An id inside an identity: a letter or digit, then letters, digits, `.`, `_`, `-`; at most 64 characters. */
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws a BadIdentityError unless `id` is a valid id for the part `what` of an identity. */
export function checkIdentityId(what: string, id: string): void {
  if (!ID.test(id)) {
    throw new BadIdentityError(
      id,
      `the ${what} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
}

/** The URI of an identity: `shoal://<cluster>/node/<node>/agent|manager` or `shoal://<cluster>/user/<user>`. */
export function formatIdentity(id: Identity): string {
  checkIdentityId("cluster id", id.clusterId);
  if (id.kind === "user") {
    checkIdentityId("user id", id.userId);
    return `shoal://${id.clusterId}/user/${id.userId}`;
  }
  checkIdentityId("node id", id.nodeId);
  return `shoal://${id.clusterId}/node/${id.nodeId}/${id.kind}`;
}

/** Parses an identity URI (see {@link formatIdentity}); throws a BadIdentityError naming what is wrong. */
export function parseIdentity(uri: string): Identity {
  if (!uri.startsWith("shoal://")) throw new BadIdentityError(uri, "it must start with shoal://");
  const parts = uri.slice("shoal://".length).split("/");
  const [clusterId = "", what, id = "", kind] = parts;
  checkIdentityId("cluster id", clusterId);
  if (what === "user" && parts.length === 3) {
    checkIdentityId("user id", id);
    return { kind: "user", clusterId, userId: id };
  }
  if (what === "node" && parts.length === 4 && (kind === "agent" || kind === "manager")) {
    checkIdentityId("node id", id);
    return { kind, clusterId, nodeId: id };
  }
  throw new BadIdentityError(
    uri,
    "after the cluster id it must read /node/<node>/agent, /node/<node>/manager or /user/<user>",
  );
}

/** Whether two identities are the same. */
export function sameIdentity(a: Identity, b: Identity): boolean {
  return formatIdentity(a) === formatIdentity(b);
}

/**
 * The entries of a certificate's subject alternative names as Node formats them (`X509Certificate.subjectAltName`,
 * `PeerCertificate.subjectaltname`): `URI:shoal://..., IP Address:127.0.0.1, DNS:localhost`. Node quotes a
 * value holding a comma or quote as a JSON string; such values are unquoted here.
 */
export function parseSubjectAltNames(text: string | undefined): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  if (!text) return out;
  const entry = /(?:^|,\s*)([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const m of text.matchAll(entry)) {
    const raw = m[2] ?? "";
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        continue;
      }
    }
    out.push({ type: m[1] ?? "", value });
  }
  return out;
}

/**
 * The Shoal identity named by a certificate's subject alternative names, or undefined when it names none, or
 * more than one (an ambiguous certificate is treated as naming nobody). URI SANs of other schemes are ignored.
 */
export function identityOfSubjectAltNames(text: string | undefined): Identity | undefined {
  const uris = parseSubjectAltNames(text).filter((e) => e.type === "URI" && e.value.startsWith("shoal://"));
  if (uris.length !== 1) return undefined;
  try {
    return parseIdentity(uris[0]!.value);
  } catch {
    return undefined;
  }
}

/** The identity of a Node `X509Certificate` (see {@link identityOfSubjectAltNames}). */
export function identityOfCertificate(cert: X509Certificate): Identity | undefined {
  return identityOfSubjectAltNames(cert.subjectAltName);
}

/** The identity of a TLS peer's certificate as `socket.getPeerCertificate()` gives it. */
export function identityOfPeer(cert: PeerCertificate | undefined): Identity | undefined {
  return identityOfSubjectAltNames(cert?.subjectaltname);
}

/**
 * The values of one attribute (`O`, `CN`, ...) of a distinguished name as Node prints it (`X509Certificate.subject`:
 * one `KEY=value` per line). A root CA's `O` is its cluster id.
 */
export function nameAttribute(subject: string, key: string): string[] {
  return subject
    .split("\n")
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

/** The cluster id a root CA certificate names (its subject's `O`), or undefined when it has none or several. */
export function clusterIdOfRoot(root: X509Certificate): string | undefined {
  const o = nameAttribute(root.subject, "O");
  return o.length === 1 ? o[0] : undefined;
}

/** The cluster ids a trust bundle's roots name (see {@link clusterIdOfRoot}), in order, without repeats. */
export function clusterIdsOfRoots(roots: readonly X509Certificate[]): string[] {
  return [...new Set(roots.flatMap((r) => clusterIdOfRoot(r) ?? []))];
}

/** A rule saying which identities a peer may have, with its description for refusal messages. */
export interface IdentityMatcher {
  /** In words, for messages: "any manager of cluster c1". */
  readonly description: string;
  matches(identity: Identity): boolean;
}

/** Any manager certificate of cluster `clusterId` (the CLI and agents talking to "the managers"). */
export function anyManagerOf(clusterId: string): IdentityMatcher {
  return {
    description: `any manager of cluster ${clusterId} (shoal://${clusterId}/node/*/manager)`,
    matches: (id) => id.kind === "manager" && id.clusterId === clusterId,
  };
}

/**
 * Any manager of any of the clusters: whom a client given a trust bundle talks to (the clusters its roots name,
 * two during a root rotation). No cluster matches nobody.
 */
export function anyManagerOfClusters(clusterIds: readonly string[]): IdentityMatcher {
  const matchers = clusterIds.map(anyManagerOf);
  return matchers.length === 1 ? (matchers[0] as IdentityMatcher) : anyOf(matchers);
}

/** Exactly the manager of node `nodeId` (a Raft peer dialing the member it means). */
export function managerOfNode(clusterId: string, nodeId: string): IdentityMatcher {
  return exactIdentity({ kind: "manager", clusterId, nodeId });
}

/** Exactly one identity. */
export function exactIdentity(expected: Identity): IdentityMatcher {
  const uri = formatIdentity(expected);
  return { description: uri, matches: (id) => formatIdentity(id) === uri };
}

/** Any of the identities the given matchers accept (the current managers' node ids, for agents). */
export function anyOf(matchers: readonly IdentityMatcher[]): IdentityMatcher {
  return {
    description: matchers.length ? matchers.map((m) => m.description).join(" or ") : "nobody",
    matches: (id) => matchers.some((m) => m.matches(id)),
  };
}

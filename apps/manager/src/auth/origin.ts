import { parseSubjectAltNames } from "@shoal/trust";

/**
 * Where a request authenticated by the dashboard's session cookie may come from (docs/design/trust.md §4.6).
 * The cookie is `SameSite=Strict`, so a browser does not send it on a request another site starts; these
 * checks are the second wall, and the one against DNS rebinding (a hostile name that resolves to a manager):
 *
 * - the `Host` must be one of the manager's names, on every request the cookie authenticates (GETs too): the DNS
 *   and IP names of the manager's certificate (its advertise address and any extra names it was given) and
 *   loopback (127.0.0.1, ::1, localhost), whatever the port;
 * - a request that is not a GET or HEAD must also carry `Origin` equal to `https://<Host>`: the page's own.
 *
 * The sign-in route takes the same checks (its answer is a cookie, useful only to a browser), so another
 * site's page cannot sign a browser in. Pure.
 */

/** The names every manager answers to, whatever its certificate says: loopback. */
export const LOOPBACK_NAMES: readonly string[] = ["127.0.0.1", "::1", "localhost"];

/** A request as these checks see it. */
export interface BrowserRequest {
  readonly method: string;
  readonly host: string | undefined;
  readonly origin: string | undefined;
}

/** Where the manager may be reached: its scheme and names. */
export interface ManagerOrigin {
  /** `https` with TLS (always in production), `http` for a plain API (tests). */
  readonly scheme: "https" | "http";
  /** The manager's names, as {@link normalizeName} returns them. */
  readonly names: ReadonlySet<string>;
}

/** The verdict: go ahead, or why not (a sentence completing "refused: ..."). */
export type OriginDecision = { readonly ok: true } | { readonly ok: false; readonly why: string };

/** What a `Host` header may hold: a DNS name, an IPv4 address or a bracketed IPv6 one, and a port. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** A host name in the form URLs normalize it to (lower case, IPv6 bracketed and shortened), or undefined. */
export function normalizeName(name: string): string | undefined {
  const bracketed = name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
  if (!HOST.test(bracketed)) return undefined;
  try {
    return new URL(`https://${bracketed}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * The manager's names from its certificate's subject alternative names (`X509Certificate.subjectAltName`): its DNS
 * and IP entries, and {@link LOOPBACK_NAMES}, normalized.
 */
export function managerNames(subjectAltName: string | undefined, extra: readonly string[] = []): Set<string> {
  const sans = parseSubjectAltNames(subjectAltName)
    .filter((e) => e.type === "DNS" || e.type === "IP Address")
    .map((e) => e.value);
  const out = new Set<string>();
  for (const n of [...sans, ...extra, ...LOOPBACK_NAMES]) {
    const norm = normalizeName(n);
    if (norm) out.add(norm);
  }
  return out;
}

/** Checks a request the session cookie authenticates (or a sign-in) against the manager's origin. */
export function checkBrowserRequest(r: BrowserRequest, m: ManagerOrigin): OriginDecision {
  if (!r.host) return { ok: false, why: "the request has no Host header" };
  const name = HOST.test(r.host) ? normalizeName(r.host.replace(/:\d+$/, "")) : undefined;
  if (!name || !m.names.has(name))
    return {
      ok: false,
      why: `the request's Host ${JSON.stringify(r.host)} is not one of this manager's names (${[...m.names].join(", ")}), so the page may have come through a name that only points here (DNS rebinding)`,
    };
  if (r.method === "GET" || r.method === "HEAD") return { ok: true };
  const own = `${m.scheme}://${r.host}`;
  if (!r.origin)
    return {
      ok: false,
      why: `a change made with the dashboard's session cookie must carry the Origin header of the dashboard's page (${own}), and this request has none`,
    };
  if (!sameOrigin(r.origin, own))
    return {
      ok: false,
      why: `a change made with the dashboard's session cookie is taken only from the dashboard's own page (${own}), and this one came from ${JSON.stringify(r.origin)} (cross-site request forgery)`,
    };
  return { ok: true };
}

/** Whether an `Origin` header names the origin `own` (compared as URLs normalize them); "null" never does. */
function sameOrigin(origin: string, own: string): boolean {
  try {
    const x = new URL(origin);
    const bare = x.pathname === "/" && !x.username && !x.password && !x.search && !x.hash;
    return bare && x.origin !== "null" && x.origin === new URL(own).origin;
  } catch {
    return false;
  }
}

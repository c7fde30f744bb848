/**
 * The dashboard's session cookie (docs/design/trust.md §4.6): its name, the `Set-Cookie` values that open and
 * clear it, and reading it from a `Cookie` header. Pure.
 */

/** The cookie's name. */
export const SESSION_COOKIE = "shoal_session";

/**
 * The attributes of the cookie: never readable by scripts (`HttpOnly`), sent over HTTPS only (`Secure`), never
 * on a request another site starts (`SameSite=Strict`), for every path of the manager.
 */
const ATTRIBUTES = "HttpOnly; Secure; SameSite=Strict; Path=/";

/** The `Set-Cookie` value that gives the browser a session's cookie, lasting `maxAgeMs` (rounded down to seconds). */
export function sessionSetCookie(value: string, maxAgeMs: number): string {
  return `${SESSION_COOKIE}=${value}; ${ATTRIBUTES}; Max-Age=${Math.floor(maxAgeMs / 1000)}`;
}

/** The `Set-Cookie` value that makes the browser drop the cookie (sign-out). */
export const CLEAR_SESSION_COOKIE = `${SESSION_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`;

/** What a session cookie's value looks like: 32 bytes in base64url, 43 characters. */
const VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The session cookie a request carries: `undefined` without one, `""` for one whose value cannot be a session's
 * (it is refused as an unknown session, not ignored), else its value. Of several `shoal_session` cookies (a
 * browser may hold one per path), the first is taken.
 */
export function sessionCookieOf(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const text = typeof header === "string" ? header : header.join("; ");
  for (const part of text.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return VALUE.test(value) ? value : "";
  }
  return undefined;
}

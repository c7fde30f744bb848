import assert from "node:assert/strict";
import { test } from "node:test";
import { CLEAR_SESSION_COOKIE, sessionCookieOf, sessionSetCookie } from "./session-cookie.js";

const VALUE = "A".repeat(43);

test("the session cookie is HttpOnly, Secure, SameSite=Strict, for every path, 12 hours", () => {
  assert.equal(
    sessionSetCookie(VALUE, 12 * 3600_000),
    `shoal_session=${VALUE}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=43200`,
  );
  assert.equal(CLEAR_SESSION_COOKIE, "shoal_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
});

test("reading the session cookie from a Cookie header", () => {
  const cases: [string | string[] | undefined, string | undefined][] = [
    [undefined, undefined],
    ["", undefined],
    ["theme=dark", undefined],
    [`shoal_session=${VALUE}`, VALUE],
    [`theme=dark; shoal_session=${VALUE}; x=1`, VALUE],
    [["theme=dark", `shoal_session=${VALUE}`], VALUE],
    [`shoal_session=${VALUE}; shoal_session=${"B".repeat(43)}`, VALUE],
    [`not_shoal_session=${VALUE}`, undefined],
    ["shoal_session=short", ""],
    [`shoal_session=${VALUE}==`, ""],
    ["shoal_session=", ""],
  ];
  for (const [header, want] of cases) assert.equal(sessionCookieOf(header), want, JSON.stringify(header));
});

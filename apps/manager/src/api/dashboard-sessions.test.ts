// The dashboard's sign-in: an access token buys an HttpOnly session cookie that stands for its user on this
// manager, from the manager's own page only, until it expires, the user goes, or the page signs out.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { ErrorBody } from "@shoal/api";
import { accessTokenHash, newAccessToken } from "@shoal/trust";
import { testCa } from "@shoal/trust/testing";
import { api, type Api } from "../testing/api-harness.js";
import { apiTlsOf, CLUSTER, listen, tlsFetch } from "../testing/tls-api.js";
import { addUser, serviceSpec, testClock } from "../testing/fixtures.js";
import { ANONYMOUS } from "./caller.js";
import { SESSION_TTL_MS } from "../auth/sessions.js";

const HOST = "127.0.0.1:7070";
/** The page's own origin: the harness serves plain HTTP. */
const ORIGIN = `http://${HOST}`;
const COOKIE = /^shoal_session=([A-Za-z0-9_-]{43}); HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=43200$/;

interface Sent {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** A request as a browser on the dashboard's page sends it: its Host, and its Origin on changes. */
async function send(
  a: Api,
  r: {
    method: "GET" | "POST" | "DELETE";
    url: string;
    body?: unknown;
    cookie?: string;
    /** null: none; default the page's own for anything but a GET. */
    origin?: string | null;
    host?: string;
    ip?: string;
  },
): Promise<Sent> {
  const origin = r.origin === undefined ? (r.method === "GET" ? undefined : ORIGIN) : r.origin;
  const res = await a.app.inject({
    method: r.method,
    url: r.url,
    remoteAddress: r.ip ?? "192.0.2.10",
    headers: {
      host: r.host ?? HOST,
      ...(origin !== null && origin !== undefined ? { origin } : {}),
      ...(r.cookie ? { cookie: `theme=dark; shoal_session=${r.cookie}` } : {}),
    },
    ...(r.body !== undefined ? { payload: r.body as object } : {}),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body === "" ? undefined : JSON.parse(res.body) };
}

const errorOf = (s: Sent): ErrorBody["error"] => (s.body as ErrorBody).error;

/** An API whose callers have no certificate, with users alice (admin) and viewer (read-only) and their tokens. */
async function signInApi(t: TestContext, o: { leaderApi?: string } = {}) {
  const clock = testClock();
  const logged: string[] = [];
  const a = await api(t, {
    clock: clock.now,
    caller: ANONYMOUS,
    log: {
      info: (msg, f) => logged.push(JSON.stringify({ msg, ...f })),
      warn: (msg, f) => logged.push(JSON.stringify({ msg, ...f })),
    },
    ...o,
  });
  const tokens = { alice: newAccessToken(), viewer: newAccessToken() };
  await addUser(a.store, "alice", { role: "admin", accessTokenHash: accessTokenHash(tokens.alice) });
  await addUser(a.store, "viewer", { role: "read-only", accessTokenHash: accessTokenHash(tokens.viewer) });
  const signIn = async (accessToken: string, extra: { ip?: string; origin?: string | null; host?: string } = {}) =>
    send(a, { method: "POST", url: "/v1/session", body: { accessToken }, ...extra });
  /** Signs in; resolves with the cookie's value. */
  const cookieOf = async (accessToken: string): Promise<string> => {
    const res = await signIn(accessToken);
    assert.equal(res.status, 204, JSON.stringify(res.body));
    return COOKIE.exec(String(res.headers["set-cookie"]))?.[1] ?? assert.fail(String(res.headers["set-cookie"]));
  };
  return { a, clock, logged, tokens, signIn, cookieOf };
}

test("a good access token opens a session: an HttpOnly, Secure, SameSite=Strict cookie of 12 hours, never cached", async (t) => {
  const { a, tokens, signIn, logged } = await signInApi(t);
  const res = await signIn(` ${tokens.alice}\n`);
  assert.equal(res.status, 204, JSON.stringify(res.body));
  assert.match(String(res.headers["set-cookie"]), COOKIE);
  assert.equal(res.headers["cache-control"], "no-store");
  const cookie = COOKIE.exec(String(res.headers["set-cookie"]))?.[1] ?? "";
  // The cookie stands for alice: she reads, and (an admin) writes from the page.
  const info = await send(a, { method: "GET", url: "/v1/info", cookie });
  assert.equal(info.status, 200, JSON.stringify(info.body));
  const created = await send(a, { method: "POST", url: "/v1/services", body: serviceSpec("by-alice"), cookie });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.ok(logged.some((l) => l.includes("dashboard session opened") && l.includes('"user":"alice"')));
});

test("a wrong token is 401 with one message whoever it was meant for, and is logged with the address only", async (t) => {
  const { signIn, tokens, logged } = await signInApi(t);
  const wrong = newAccessToken();
  const almost = `${tokens.alice.slice(0, -1)}${tokens.alice.endsWith("A") ? "B" : "A"}`;
  const messages = new Set<string>();
  for (const token of [wrong, almost, "x"]) {
    const res = await signIn(token);
    assert.equal(res.status, 401);
    assert.equal(res.headers["set-cookie"], undefined);
    assert.equal(errorOf(res).code, "SHOAL_ERR_UNAUTHENTICATED");
    assert.match(errorOf(res).hint ?? "", /<data-dir>\/admin\/access-token .*shoal cluster user create/);
    messages.add(errorOf(res).message);
  }
  assert.deepEqual([...messages], ["api: the access token is not valid for this cluster"]);
  const failures = logged.filter((l) => l.includes("sign-in refused"));
  assert.equal(failures.length, 3);
  for (const l of failures) {
    assert.match(l, /"source":"192\.0\.2\.10"/);
    for (const token of [wrong, almost, tokens.alice]) assert.ok(!l.includes(token), "no token in the log");
  }
  const empty = await signIn("   ");
  assert.equal(empty.status, 400, "an empty token says what to give");
  assert.match(JSON.stringify(empty.body), /access-token/);
});

test("ten failed sign-ins a minute per address, then 429 naming when to retry, even for the right token", async (t) => {
  const { signIn, tokens, clock } = await signInApi(t);
  for (let i = 0; i < 10; i++) assert.equal((await signIn(newAccessToken())).status, 401, `attempt ${i + 1}`);
  const limited = await signIn(tokens.alice);
  assert.equal(limited.status, 429);
  assert.equal(errorOf(limited).code, "SHOAL_ERR_RATE_LIMITED");
  assert.match(errorOf(limited).message, /too many failed sign-ins from 192\.0\.2\.10/);
  assert.match(errorOf(limited).hint ?? "", /^wait 6 s, then sign in/);
  assert.equal(limited.headers["retry-after"], "6");
  assert.equal((await signIn(tokens.alice, { ip: "192.0.2.11" })).status, 204, "another address is not limited");
  clock.advance(6_000);
  assert.equal((await signIn(tokens.alice)).status, 204, "a token back after 6 s");
});

test("a read-only user's cookie reads but gets 403 on writes", async (t) => {
  const { a, tokens, cookieOf } = await signInApi(t);
  const cookie = await cookieOf(tokens.viewer);
  assert.equal((await send(a, { method: "GET", url: "/v1/services", cookie })).status, 200);
  const write = await send(a, { method: "POST", url: "/v1/services", body: serviceSpec("nope"), cookie });
  assert.equal(write.status, 403);
  assert.equal(errorOf(write).code, "SHOAL_ERR_FORBIDDEN");
  assert.match(errorOf(write).message, /user viewer is read-only/);
  assert.equal(a.store.state.list("service").length, 1);
});

test("a cookie works only from the manager's own page: a change needs its Origin, and any request a Host of the manager's", async (t) => {
  const { a, tokens, cookieOf, signIn } = await signInApi(t);
  const cookie = await cookieOf(tokens.alice);
  const write = { method: "POST", url: "/v1/services", body: serviceSpec("csrf"), cookie } as const;
  const cases: [string, Parameters<typeof send>[1], RegExp][] = [
    ["a change without Origin", { ...write, origin: null }, /must carry the Origin header .* has none/],
    ["a change from another site", { ...write, origin: "https://evil.example" }, /cross-site request forgery/],
    ["a change from another scheme", { ...write, origin: "https://127.0.0.1:7070" }, /cross-site request forgery/],
    [
      "a change through a foreign name",
      { ...write, host: "evil.example:7070", origin: "http://evil.example:7070" },
      /Host "evil\.example:7070" is not one of this manager's names .*DNS rebinding/,
    ],
    [
      "a read through a foreign name",
      { method: "GET", url: "/v1/info", cookie, host: "evil.example" },
      /DNS rebinding/,
    ],
    [
      "a sign-out from another site",
      { method: "DELETE", url: "/v1/session", cookie, origin: "https://evil.example" },
      /forgery/,
    ],
  ];
  for (const [what, r, why] of cases) {
    const res = await send(a, r);
    assert.equal(res.status, 403, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(errorOf(res).code, "SHOAL_ERR_FORBIDDEN", what);
    assert.match(errorOf(res).message, why, what);
  }
  assert.equal(a.store.state.list("service").length, 1, "no refused change was made");
  assert.equal((await send(a, { method: "GET", url: "/v1/info", cookie, host: "localhost:7070" })).status, 200);
  // Another site's page cannot sign a browser in either.
  assert.equal((await signIn(tokens.alice, { origin: "https://evil.example" })).status, 403);
  assert.equal((await signIn(tokens.alice, { origin: null })).status, 403);
  assert.equal((await signIn(tokens.alice, { host: "evil.example", origin: "http://evil.example" })).status, 403);
});

test("a session ends: unknown or expired cookies, a removed user, a replaced token, and sign-out get 401 saying to sign in", async (t) => {
  const { a, tokens, cookieOf, clock } = await signInApi(t);
  const read = (cookie: string) => send(a, { method: "GET", url: "/v1/services", cookie });
  const expectEnded = async (cookie: string, why: RegExp) => {
    const res = await read(cookie);
    assert.equal(res.status, 401, JSON.stringify(res.body));
    assert.equal(errorOf(res).code, "SHOAL_ERR_UNAUTHENTICATED");
    assert.match(errorOf(res).message, why);
    assert.match(errorOf(res).hint ?? "", /^sign in again with your access token/);
  };
  await expectEnded("A".repeat(43), /^api: the dashboard session has expired or ended/);
  await expectEnded("not-a-session", /has expired or ended/);

  const old = await cookieOf(tokens.viewer);
  clock.advance(SESSION_TTL_MS);
  await expectEnded(old, /has expired or ended \(a session lasts 12 hours/);

  const alice = await cookieOf(tokens.alice);
  const viewer = await cookieOf(tokens.viewer);
  await a.store.write([{ op: "delete", kind: "user", id: "alice" }]);
  await expectEnded(alice, /^api: the dashboard session ended: its user was removed$/);
  await addUser(a.store, "alice", { accessTokenHash: accessTokenHash(tokens.alice) });
  await expectEnded(alice, /has expired or ended/);

  const u = a.store.state.get("user", "viewer");
  assert.ok(u);
  await a.store.write([
    {
      op: "update",
      kind: "user",
      object: { ...u, accessTokenHash: accessTokenHash(newAccessToken()) },
      expectedVersion: u.version,
    },
  ]);
  await expectEnded(viewer, /ended: its user's access token was replaced/);

  const again = await cookieOf(tokens.alice);
  assert.equal((await read(again)).status, 200);
  const out = await send(a, { method: "DELETE", url: "/v1/session", cookie: again });
  assert.equal(out.status, 204, JSON.stringify(out.body));
  assert.equal(out.headers["set-cookie"], "shoal_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0");
  await expectEnded(again, /has expired or ended/);
  assert.equal((await send(a, { method: "DELETE", url: "/v1/session", cookie: again })).status, 401);
});

test("sign-in is answered by the manager it reaches, never forwarded; its body is at most 64 KiB", async (t) => {
  // A follower whose leader cannot be reached: a forwarded request would fail.
  const { a, tokens, cookieOf, signIn } = await signInApi(t, { leaderApi: "127.0.0.1:1" });
  a.consensus.leader = false;
  const write = await send(a, {
    method: "POST",
    url: "/v1/services",
    body: serviceSpec("x"),
    cookie: await cookieOf(tokens.alice),
  });
  assert.match(errorOf(write).code, /LEADER/, "a write is forwarded, and the leader cannot be reached");
  const cookie = await cookieOf(tokens.alice);
  assert.equal((await send(a, { method: "GET", url: "/v1/info", cookie })).status, 200);
  assert.equal((await send(a, { method: "DELETE", url: "/v1/session", cookie })).status, 204);
  const big = await signIn("x".repeat(70 * 1024));
  assert.equal(big.status, 413);
});

test("over HTTPS: the page's origin is https://<a name of the manager's certificate>, and a client certificate wins over a cookie", async (t) => {
  const ca = await testCa(CLUSTER);
  const a = await api(t, { tls: apiTlsOf(await ca.manager("m1")) });
  const token = newAccessToken();
  await addUser(a.store, "alice", { role: "admin", accessTokenHash: accessTokenHash(token) });
  const address = await listen(a.app);
  const browser = tlsFetch(t, { trust: ca.trust });
  const signIn = (origin: string) =>
    browser(`https://${address}/v1/session`, {
      method: "POST",
      headers: { origin, "content-type": "application/json" },
      body: JSON.stringify({ accessToken: token }),
    });
  assert.equal((await signIn(`http://${address}`)).status, 403, "the page is served over HTTPS only");
  const res = await signIn(`https://${address}`);
  assert.equal(res.status, 204, await res.text());
  const cookie = COOKIE.exec(res.headers.get("set-cookie") ?? "")?.[1];
  assert.ok(cookie);
  const info = await browser(`https://${address}/v1/info`, { headers: { cookie: `shoal_session=${cookie}` } });
  assert.equal(info.status, 200, await info.text());
  // An agent's certificate with alice's cookie is the agent, who may not read the cluster.
  const agent = tlsFetch(t, { trust: ca.trust, creds: await ca.agent("n1") });
  const both = await agent(`https://${address}/v1/info`, { headers: { cookie: `shoal_session=${cookie}` } });
  assert.equal(both.status, 403, await both.text());
});

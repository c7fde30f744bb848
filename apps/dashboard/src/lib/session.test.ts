import assert from "node:assert/strict";
import { test } from "node:test";
import { endsSession, SessionWatch } from "./session.js";

test("any 401 but the sign-in's own ends the page's session", () => {
  const cases: [string, string, number, boolean][] = [
    ["GET", "https://10.0.0.1:7070/v1/info", 401, true],
    ["GET", "/v1/events?since=3", 401, true],
    ["POST", "https://10.0.0.1:7070/v1/services/web/scale", 401, true],
    ["DELETE", "/v1/session", 401, true],
    ["POST", "https://10.0.0.1:7070/v1/session", 401, false],
    ["post", "/v1/session", 401, false],
    ["GET", "/v1/info", 403, false],
    ["GET", "/v1/info", 200, false],
    ["POST", "/v1/session", 429, false],
  ];
  for (const [method, url, status, ends] of cases)
    assert.equal(endsSession(method, url, status), ends, `${method} ${url} ${status}`);
});

test("the watching fetch sends the cookie same-origin and tells its listeners when the session ended", async () => {
  const watch = new SessionWatch();
  let ended = 0;
  const stop = watch.onEnded(() => ended++);
  const seen: RequestInit[] = [];
  const answer =
    (status: number): typeof fetch =>
    (_input, init) => {
      seen.push(init ?? {});
      return Promise.resolve(new Response(null, { status }));
    };
  await watch.fetch(answer(200))("https://m:7070/v1/info", { method: "GET" });
  await watch.fetch(answer(401))("https://m:7070/v1/session", { method: "POST" });
  assert.equal(ended, 0, "a wrong token at sign-in is not an ended session");
  await watch.fetch(answer(401))("https://m:7070/v1/tasks", {});
  assert.equal(ended, 1);
  assert.ok(seen.every((i) => i.credentials === "same-origin"));
  stop();
  await watch.fetch(answer(401))("https://m:7070/v1/tasks", {});
  assert.equal(ended, 1, "no listener after stop");
});

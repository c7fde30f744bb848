// The join is public, so it is where a token would be guessed: refused joins are limited per source address.
import assert from "node:assert/strict";
import { test } from "node:test";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { api, type Api } from "../testing/api-harness.js";
import { fixtureTokens } from "../testing/fixtures.js";
import { ANONYMOUS } from "./caller.js";
import { JOIN_ATTEMPTS_PER_MINUTE } from "./join-limit.js";
import { LEADER_HEADER, MANAGERS_HEADER } from "./server.js";

const { csr } = await generateKeyAndCsr();

const join = async (a: Api, token: string, remoteAddress: string) => {
  const res = await a.app.inject({ method: "POST", url: "/v1/cluster/join", payload: { token, csr }, remoteAddress });
  return {
    status: res.statusCode,
    headers: res.headers,
    code: (JSON.parse(res.body) as { error?: { code: string } }).error?.code,
  };
};

test("refused joins are limited per source address: past the limit 429 with Retry-After, other sources unaffected", async (t) => {
  let now = Date.parse("2026-12-08T00:00:00Z");
  const a = await api(t, { clock: () => now, caller: ANONYMOUS });
  const { worker } = fixtureTokens();
  const wrong = worker.slice(0, -1) + (worker.endsWith("a") ? "b" : "a");
  for (let i = 0; i < JOIN_ATTEMPTS_PER_MINUTE; i++)
    assert.equal((await join(a, wrong, "10.0.0.7")).status, 401, `try ${i + 1}`);
  const limited = await join(a, wrong, "10.0.0.7");
  assert.equal(limited.status, 429);
  assert.equal(limited.code, "SHOAL_ERR_RATE_LIMITED");
  assert.ok(Number(limited.headers["retry-after"]) > 0);
  // Even the right token waits: the source is the guesser's.
  const nodes = a.store.state.list("node").length;
  assert.equal((await join(a, worker, "10.0.0.7")).status, 429);
  assert.equal(a.store.state.list("node").length, nodes, "no node joined while limited");
  // Another source joins, and a source that joins right never spends.
  for (let i = 0; i < JOIN_ATTEMPTS_PER_MINUTE + 2; i++) assert.equal((await join(a, worker, "10.0.0.8")).status, 200);
  // A minute later the guesser's bucket has refilled.
  now += 60_000;
  assert.equal((await join(a, worker, "10.0.0.7")).status, 200);
});

test("anonymous answers name no manager; answers to a caller with a credential do", async (t) => {
  const a = await api(t);
  const admin = await a.app.inject({ method: "GET", url: "/v1/info" });
  assert.equal(admin.statusCode, 200);
  assert.ok(admin.headers[MANAGERS_HEADER]);
  assert.ok(admin.headers[LEADER_HEADER]);
  a.caller = ANONYMOUS;
  for (const res of [
    await a.app.inject({ method: "GET", url: "/v1/info" }),
    await a.app.inject({ method: "POST", url: "/v1/cluster/join", payload: { token: "x", csr } }),
  ]) {
    assert.ok(res.statusCode === 401 || res.statusCode === 400, String(res.statusCode));
    assert.equal(res.headers[MANAGERS_HEADER], undefined);
    assert.equal(res.headers[LEADER_HEADER], undefined);
  }
});

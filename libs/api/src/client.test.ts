import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, ShoalClient } from "./client.js";

type Behaviour = "down" | "no-leader" | "no-quorum" | { managers?: string };

/**
 * A fake `fetch` over managers by host:port: each is down (connection refused), answers 503 without a leader
 * or without quorum, or answers the request, naming the managers in a header. Every attempt is recorded.
 */
function fakeFetch(managers: Record<string, Behaviour | Behaviour[]>): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const seen = new Map<string, number>();
  const f = (input: string | URL | Request): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    calls.push(url.host);
    const all = managers[url.host] ?? "down";
    const n = seen.get(url.host) ?? 0;
    seen.set(url.host, n + 1);
    const b = Array.isArray(all) ? (all[Math.min(n, all.length - 1)] ?? "down") : all;
    if (b === "down")
      return Promise.reject(new TypeError("fetch failed", { cause: new Error(`connect ECONNREFUSED ${url.host}`) }));
    if (b === "no-leader" || b === "no-quorum") {
      const code = b === "no-leader" ? "SHOAL_ERR_NO_LEADER" : "SHOAL_ERR_NO_QUORUM";
      return Promise.resolve(
        Response.json({ error: { code, message: `${b} at ${url.host}`, hint: "retry" } }, { status: 503 }),
      );
    }
    const headers: Record<string, string> = b.managers ? { "x-shoal-managers": b.managers } : {};
    return Promise.resolve(
      Response.json(
        {
          version: "1",
          clusterId: "c1",
          nodeId: url.host,
          managerAddr: url.host,
          raft: { leader: true, term: 1, commitIndex: 1, appliedIndex: 1 },
          counts: { nodes: 0, services: 0, tasks: 0 },
        },
        { headers },
      ),
    );
  };
  return { fetch: f, calls };
}

test("a manager that cannot be reached is skipped, and the one that answered is asked first next time", async () => {
  const { fetch, calls } = fakeFetch({ "m2:7070": {} });
  const client = new ShoalClient({ managers: ["m1:7070", "m2:7070", "m3:7070"], fetch });
  assert.equal((await client.call("info")).nodeId, "m2:7070");
  assert.deepEqual(calls, ["m1:7070", "m2:7070"]);
  assert.equal(client.manager, "http://m2:7070");
  await client.call("info");
  assert.deepEqual(calls.slice(2), ["m2:7070"]);
  assert.deepEqual(client.managers, ["m2:7070", "m1:7070", "m3:7070"]);
});

test("a manager without a leader sends the client to the next; when none has one, it goes round again after a pause", async () => {
  const { fetch, calls } = fakeFetch({ "m1:7070": "no-leader", "m2:7070": ["no-leader", {}] });
  const client = new ShoalClient({ managers: ["m1:7070", "m2:7070"], fetch, retryMs: 1 });
  assert.equal((await client.call("info")).nodeId, "m2:7070");
  assert.deepEqual(calls, ["m1:7070", "m2:7070", "m1:7070", "m2:7070"]);

  const stuck = fakeFetch({ "m1:7070": "no-leader", "m2:7070": "down" });
  const c2 = new ShoalClient({ managers: ["m1:7070", "m2:7070"], fetch: stuck.fetch, retryMs: 1 });
  await assert.rejects(
    c2.call("info"),
    (e: unknown) => e instanceof ApiError && e.status === 503 && e.code === "SHOAL_ERR_NO_LEADER",
  );
  assert.equal(stuck.calls.length, 6, "three rounds over both managers");
});

test("no quorum is an answer, not a reason to go round: the client reports it at once", async () => {
  const { fetch, calls } = fakeFetch({ "m1:7070": "no-quorum", "m2:7070": {} });
  const client = new ShoalClient({ managers: ["m1:7070", "m2:7070"], fetch, retryMs: 1 });
  await assert.rejects(
    client.call("info"),
    (e: unknown) => e instanceof ApiError && e.code === "SHOAL_ERR_NO_QUORUM" && e.message === "no-quorum at m1:7070",
  );
  assert.deepEqual(calls, ["m1:7070"]);
});

test("the client learns the managers from answers and keeps working when the one it was given dies", async () => {
  const learned: (readonly string[])[] = [];
  const managers: Record<string, Behaviour | Behaviour[]> = {
    "m1:7070": {},
    "m2:7070": { managers: "m1:7070,m2:7070,m3:7070" },
    "m3:7070": {},
  };
  const { fetch, calls } = fakeFetch(managers);
  const client = new ShoalClient({ managers: ["m2:7070"], fetch, onManagers: (m) => learned.push(m) });
  await client.call("info");
  assert.deepEqual(learned, [["m2:7070", "m1:7070", "m3:7070"]]);
  await client.call("info");
  assert.equal(learned.length, 1, "an unchanged list is not reported again");

  managers["m2:7070"] = "down";
  assert.equal((await client.call("info")).nodeId, "m1:7070");
  assert.deepEqual(calls.slice(2), ["m2:7070", "m1:7070"]);
  assert.deepEqual(learned.at(-1), ["m1:7070", "m2:7070", "m3:7070"]);
});

test("when no manager answers, the error names every address tried and the cause", async () => {
  const { fetch } = fakeFetch({});
  const client = new ShoalClient({ managers: ["m1:7070", "http://m2:7070/"], fetch });
  await assert.rejects(client.call("info"), (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, "SHOAL_ERR_UNREACHABLE");
    assert.equal(e.message, "cannot reach a manager at http://m1:7070, http://m2:7070 (connect ECONNREFUSED m2:7070)");
    return true;
  });
});

test("a pinned client stays on its manager and sends the caller's headers on every request", async () => {
  const seenHeaders: string[] = [];
  const { fetch: inner, calls } = fakeFetch({ "m1:7070": { managers: "m1:7070,m2:7070" } });
  const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    seenHeaders.push(new Headers(init?.headers).get("authorization") ?? "");
    return inner(input);
  };
  let token = "one";
  const client = new ShoalClient({
    managers: ["m1:7070"],
    fetch,
    pinned: true,
    headers: () => ({ authorization: `Bearer ${token}` }),
  });
  await client.call("info");
  token = "two";
  await client.call("info");
  assert.deepEqual(client.managers, ["m1:7070"], "the managers the answer names are not added");
  assert.deepEqual(seenHeaders, ["Bearer one", "Bearer two"]);
  assert.deepEqual(calls, ["m1:7070", "m1:7070"]);
});

test("a client with scheme https dials every manager over https, those the cluster names included", async () => {
  const urls: string[] = [];
  const recording =
    (inner: typeof fetch) =>
    (input: string | URL | Request): Promise<Response> => {
      urls.push(input instanceof Request ? input.url : input.toString());
      return inner(input);
    };
  const named = fakeFetch({ "m1:7070": [{ managers: "m1:7070,m2:7070" }, "down"], "m2:7070": {} });
  const client = new ShoalClient({ managers: ["m1:7070"], scheme: "https", fetch: recording(named.fetch) });
  await client.call("info");
  assert.deepEqual(client.managers, ["m1:7070", "m2:7070"], "addresses are kept as the cluster names them");
  assert.equal((await client.call("info")).nodeId, "m2:7070");
  assert.deepEqual(urls, ["https://m1:7070/v1/info", "https://m1:7070/v1/info", "https://m2:7070/v1/info"]);

  urls.length = 0;
  const mixed = new ShoalClient({
    managers: ["m2:7070", "http://m1:7070"],
    scheme: "https",
    fetch: recording(fakeFetch({ "m1:7070": {} }).fetch),
  });
  await mixed.call("info");
  assert.deepEqual(urls, ["https://m2:7070/v1/info", "http://m1:7070/v1/info"], "an address with a scheme keeps it");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenCache } from "./token-cache.js";

function clocked(): { cache: TokenCache; advance: (ms: number) => void } {
  let now = 1_000_000;
  return { cache: new TokenCache(() => now), advance: (ms) => (now += ms) };
}

test("TokenCache keeps a token until shortly before expires_in runs out", () => {
  const { cache, advance } = clocked();
  cache.set("reg repository:app:pull", "t1", 300);
  assert.equal(cache.get("reg repository:app:pull"), "t1");
  assert.equal(cache.get("reg repository:other:pull"), undefined);
  advance(289_999);
  assert.equal(cache.get("reg repository:app:pull"), "t1");
  advance(1);
  assert.equal(cache.get("reg repository:app:pull"), undefined, "dropped 10 s before expiry");
});

test("TokenCache assumes 60 s when expires_in is missing or nonsense", () => {
  for (const expiresIn of [undefined, 0, -5, Number.NaN]) {
    const { cache, advance } = clocked();
    cache.set("k", "t", expiresIn);
    advance(53_999);
    assert.equal(cache.get("k"), "t", String(expiresIn));
    advance(1);
    assert.equal(cache.get("k"), undefined, String(expiresIn));
  }
});

test("TokenCache: a short-lived token keeps 90% of its life; delete forgets", () => {
  const { cache, advance } = clocked();
  cache.set("k", "t", 10);
  advance(8_999);
  assert.equal(cache.get("k"), "t");
  cache.delete("k");
  assert.equal(cache.get("k"), undefined);
});

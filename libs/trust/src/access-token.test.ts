import assert from "node:assert/strict";
import { test } from "node:test";
import { ACCESS_TOKEN_PREFIX, accessTokenHash, accessTokenMatches, newAccessToken } from "./access-token.js";

test("access tokens: random, prefixed, and only their hash matches them", () => {
  const a = newAccessToken();
  const b = newAccessToken();
  assert.notEqual(a, b);
  assert.ok(a.startsWith(ACCESS_TOKEN_PREFIX));
  assert.equal(a.length, ACCESS_TOKEN_PREFIX.length + 43);
  const hash = accessTokenHash(a);
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.ok(accessTokenMatches(a, hash));
  assert.ok(!accessTokenMatches(b, hash), "another token");
  assert.ok(!accessTokenMatches(a, hash.slice(2)), "a truncated hash");
  assert.ok(!accessTokenMatches(a, ""), "no hash");
  const fixed = newAccessToken((n) => new Uint8Array(n).fill(0xff));
  assert.equal(fixed, `${ACCESS_TOKEN_PREFIX}${"_".repeat(42)}8`);
});

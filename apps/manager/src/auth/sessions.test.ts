// The dashboard's sessions on one manager: opened with a random cookie, found by it until they expire, ended by
// sign-out or for a user, bounded in number.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { testClock } from "../testing/fixtures.js";
import { SESSION_TTL_MS, SessionStore } from "./sessions.js";

/** A random source giving 32 bytes of `n` for the n-th call. */
function counting(): (n: number) => Uint8Array {
  let i = 0;
  return (n) => new Uint8Array(n).fill(++i);
}

test("a session is found by its cookie until 12 hours after sign-in, then never again", () => {
  const clock = testClock();
  const s = new SessionStore({ now: clock.now, random: counting() });
  const { cookie, session } = s.open("alice", "hash-a");
  assert.match(cookie, /^[A-Za-z0-9_-]{43}$/, "32 bytes, base64url");
  assert.equal(s.get(cookie)?.userId, "alice");
  assert.equal(s.get(cookie)?.accessTokenHash, "hash-a");
  assert.equal(s.get("A".repeat(43)), undefined, "an unknown cookie has no session");
  clock.advance(SESSION_TTL_MS - 10);
  assert.equal(s.get(cookie)?.expiresAt, session.expiresAt, "still live just before it expires");
  clock.advance(10);
  assert.equal(s.get(cookie), undefined, "expired");
  assert.equal(s.size, 0, "an expired session met is dropped");
});

test("cookies are the random source's bytes and only their SHA-256 is kept", () => {
  const s = new SessionStore({ now: testClock().now, random: () => new Uint8Array(32).fill(7) });
  const { cookie } = s.open("alice", "h");
  assert.equal(cookie, Buffer.alloc(32, 7).toString("base64url"));
  const kept = [...(s as unknown as { sessions: Map<string, unknown> }).sessions.keys()];
  assert.deepEqual(kept, [createHash("sha256").update(cookie).digest("hex")]);
  assert.ok(!kept.includes(cookie));
});

test("sign-out ends one session; ending a user's ends all of theirs and no one else's", () => {
  const s = new SessionStore({ now: testClock().now, random: counting() });
  const a1 = s.open("alice", "h").cookie;
  const a2 = s.open("alice", "h").cookie;
  const b = s.open("bob", "h").cookie;
  assert.equal(s.end(a1), true);
  assert.equal(s.end(a1), false, "already ended");
  assert.equal(s.get(a1), undefined);
  assert.ok(s.get(a2));
  s.endUser("alice");
  assert.equal(s.get(a2), undefined);
  assert.equal(s.get(b)?.userId, "bob");
});

test("opening a session drops expired ones, and past the bound the oldest", () => {
  const clock = testClock();
  const s = new SessionStore({ now: clock.now, random: counting(), max: 3, ttlMs: 1_000 });
  s.open("a", "h");
  clock.advance(2_000);
  const second = s.open("b", "h").cookie;
  assert.equal(s.size, 1, "the expired one went");
  const third = s.open("c", "h").cookie;
  s.open("d", "h");
  s.open("e", "h");
  assert.equal(s.size, 3);
  assert.equal(s.get(second), undefined, "the oldest was dropped");
  assert.ok(s.get(third));
});

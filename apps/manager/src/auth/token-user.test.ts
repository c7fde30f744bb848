import assert from "node:assert/strict";
import { test } from "node:test";
import { accessTokenHash, newAccessToken } from "@shoal/trust";
import type { User } from "@shoal/api";
import { userOfAccessToken } from "./token-user.js";

const user = (id: string, hash?: string): User => ({
  id,
  version: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  spec: { name: id, role: "admin" },
  certificates: [],
  ...(hash !== undefined ? { accessTokenHash: hash } : {}),
});

test("an access token finds the user whose hash it has, and no one for any other token", () => {
  const [a, b] = [newAccessToken(), newAccessToken()];
  const users = [
    user("nohash"),
    user("broken", "abc"),
    user("alice", accessTokenHash(a)),
    user("bob", accessTokenHash(b)),
  ];
  assert.equal(userOfAccessToken(users, a)?.id, "alice");
  assert.equal(userOfAccessToken(users, b)?.id, "bob");
  assert.equal(userOfAccessToken(users, newAccessToken()), undefined);
  assert.equal(userOfAccessToken(users, a.slice(0, -1)), undefined);
  assert.equal(userOfAccessToken(users, ""), undefined, "not the user without a hash");
  assert.equal(userOfAccessToken([], a), undefined);
});

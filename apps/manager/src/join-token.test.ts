// Join tokens: which role a token admits, compared in constant time.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { describe, it } from "node:test";
import { roleOfToken } from "./join-token.js";
import { joinToken } from "./model/bootstrap.js";

const cluster = {
  joinTokens: {
    worker: joinToken("c1", "w", "Wk7pQ2xZ9aB3cD4eF5gH6iJ7kL8mN9oP"),
    manager: joinToken("c1", "m", "Mq1rS2tU3vW4xY5zA6bC7dE8fG9hI0jK"),
  },
};

/** `token` with its last character replaced by another one. */
const lastCharChanged = (token: string): string => token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");

describe("roleOfToken", () => {
  const cases: { name: string; token: string; role: "manager" | "worker" | undefined }[] = [
    { name: "the manager token", token: cluster.joinTokens.manager, role: "manager" },
    { name: "the worker token", token: cluster.joinTokens.worker, role: "worker" },
    {
      name: "the manager token with its last character changed",
      token: lastCharChanged(cluster.joinTokens.manager),
      role: undefined,
    },
    {
      name: "the worker token with its last character changed",
      token: lastCharChanged(cluster.joinTokens.worker),
      role: undefined,
    },
    {
      name: "the manager token missing its last character",
      token: cluster.joinTokens.manager.slice(0, -1),
      role: undefined,
    },
    { name: "the worker token with a character added", token: `${cluster.joinTokens.worker}x`, role: undefined },
    { name: "an empty token", token: "", role: undefined },
  ];
  for (const c of cases) {
    it(`${c.role ? `admits ${c.role}s with` : "refuses"} ${c.name}`, () => {
      assert.equal(roleOfToken(cluster, c.token), c.role);
    });
  }

  it("compares the token with both roles' tokens every time, in constant time", (t) => {
    const compare = t.mock.method(crypto, "timingSafeEqual");
    for (const c of cases) {
      compare.mock.resetCalls();
      roleOfToken(cluster, c.token);
      assert.equal(compare.mock.callCount(), 2, `two comparisons for ${c.name}`);
      for (const call of compare.mock.calls) {
        const [a, b] = call.arguments as [Uint8Array, Uint8Array];
        assert.equal(a.byteLength, 32, "SHA-256 digests are compared, not the tokens");
        assert.equal(b.byteLength, 32);
      }
    }
  });
});

// Join tokens: which role a token admits, the CA digest it pins, compared in constant time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDigest, secretsEqual } from "@shoal/trust";
import { checkJoinToken, joinTokensOf, newStoredJoinSecret } from "./join-token.js";

const digest = formatDigest(new Uint8Array(32).fill(7));
const otherDigest = formatDigest(new Uint8Array(32).fill(8));
const cluster = { ca: { rootDigests: [digest] } };
const secrets = { join: { worker: newStoredJoinSecret(), manager: newStoredJoinSecret() } };
const tokens = joinTokensOf(cluster, secrets);

/** `token` with its last character replaced by another one. */
const lastCharChanged = (token: string): string => token.slice(0, -1) + (token.endsWith("a") ? "b" : "a");

describe("join tokens", () => {
  it("are SHLTKN-1-<root digest>-<secret> and differ by role", () => {
    assert.match(tokens.worker, new RegExp(`^SHLTKN-1-${digest}-[0-9a-z]{25}$`));
    assert.match(tokens.manager, new RegExp(`^SHLTKN-1-${digest}-[0-9a-z]{25}$`));
    assert.notEqual(tokens.worker, tokens.manager);
  });

  const cases: { name: string; token: string; role: "manager" | "worker" | undefined; problem?: RegExp }[] = [
    { name: "the manager token", token: tokens.manager, role: "manager" },
    { name: "the worker token", token: tokens.worker, role: "worker" },
    {
      name: "the manager token with its last character changed",
      token: lastCharChanged(tokens.manager),
      role: undefined,
    },
    {
      name: "the worker token with its last character changed",
      token: lastCharChanged(tokens.worker),
      role: undefined,
    },
    {
      name: "the manager token pinning another CA",
      token: tokens.manager.replace(digest, otherDigest),
      role: undefined,
      problem: /not valid for this cluster/,
    },
    {
      name: "the manager token missing its last character",
      token: tokens.manager.slice(0, -1),
      role: undefined,
      problem: /malformed: .*secret .*25 characters/,
    },
    { name: "a token of the old form", token: "SHLTKN-1-c1-wsecret", role: undefined, problem: /malformed/ },
    { name: "an empty token", token: "", role: undefined, problem: /malformed: .*SHLTKN-/ },
  ];
  for (const c of cases) {
    it(`${c.role ? `admit ${c.role}s with` : "refuse"} ${c.name}`, () => {
      const check = checkJoinToken(cluster, secrets, c.token);
      assert.equal(check.role, c.role);
      if (c.problem && check.role === undefined) assert.match(check.problem, c.problem);
      if (check.role === undefined) assert.equal(check.malformed, /malformed/.test(c.problem?.source ?? ""));
    });
  }

  it("a refusal never echoes the secret it was given", () => {
    const check = checkJoinToken(cluster, secrets, lastCharChanged(tokens.manager));
    assert.ok(check.role === undefined && !check.problem.includes(secrets.join.manager.slice(0, 10)));
  });

  it("compare the digest and both roles' secrets every time a well-formed token is checked", () => {
    for (const c of cases.filter((x) => !x.problem || !/malformed/.test(x.problem.source))) {
      let calls = 0;
      checkJoinToken(cluster, secrets, c.token, (a, b) => {
        calls++;
        return secretsEqual(a, b);
      });
      assert.equal(calls, 3, c.name);
    }
  });

  it("rotating a role's secret refuses its old token at once and leaves the other role's", () => {
    const rotated = { join: { ...secrets.join, worker: newStoredJoinSecret() } };
    assert.equal(checkJoinToken(cluster, rotated, tokens.worker).role, undefined);
    assert.equal(checkJoinToken(cluster, rotated, joinTokensOf(cluster, rotated).worker).role, "worker");
    assert.equal(checkJoinToken(cluster, rotated, tokens.manager).role, "manager");
  });
});

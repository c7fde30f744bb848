import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { test } from "node:test";
import { InvalidTokenError, type TokenProblem } from "./errors.js";
import {
  DIGEST_CHARS,
  formatDigest,
  formatJoinToken,
  fromBase36,
  newJoinSecret,
  parseJoinToken,
  rootDigest,
  SECRET_CHARS,
  secretsEqual,
  toBase36,
} from "./token.js";

const digest = (s: string) => Uint8Array.from(createHash("sha256").update(s).digest());

test("tokens round-trip: SHLTKN-1-<50>-<25>, lower-case base 36, fixed width", () => {
  const cases = [
    { caDigest: new Uint8Array(32), secret: new Uint8Array(16) },
    { caDigest: new Uint8Array(32).fill(0xff), secret: new Uint8Array(16).fill(0xff) },
    ...Array.from({ length: 50 }, () => ({ caDigest: Uint8Array.from(randomBytes(32)), secret: newJoinSecret() })),
  ];
  for (const t of cases) {
    const text = formatJoinToken(t);
    assert.match(text, new RegExp(`^SHLTKN-1-[0-9a-z]{${DIGEST_CHARS}}-[0-9a-z]{${SECRET_CHARS}}$`));
    assert.deepEqual(parseJoinToken(text), t);
    assert.deepEqual(parseJoinToken(`  ${text}\n`), t, "white space around is ignored");
  }
  assert.equal(formatJoinToken(cases[0]!), `SHLTKN-1-${"0".repeat(50)}-${"0".repeat(25)}`);
  assert.equal(
    formatJoinToken(cases[1]!),
    `SHLTKN-1-${(2n ** 256n - 1n).toString(36)}-${(2n ** 128n - 1n).toString(36).padStart(25, "0")}`,
  );
});

test("base 36: big-endian, padded, and what does not fit is refused", () => {
  assert.equal(toBase36(Uint8Array.from([1, 0]), 4), "0074");
  assert.deepEqual(fromBase36("0074", 2), Uint8Array.from([1, 0]));
  assert.deepEqual(fromBase36("1ekf", 2), Uint8Array.from([0xff, 0xff]));
  assert.equal(fromBase36("1ekg", 2), undefined, "2^16 does not fit in 2 bytes");
  assert.equal(fromBase36("00A4", 2), undefined);
});

const VALID = formatJoinToken({ caDigest: digest("root"), secret: newJoinSecret(() => new Uint8Array(16).fill(7)) });
const [, , D, S] = VALID.split("-") as [string, string, string, string];

const MALFORMED: [string, string, TokenProblem, RegExp][] = [
  ["empty", "", "prefix", /start with SHLTKN-/],
  ["another prefix", `SWMTKN-1-${D}-${S}`, "prefix", /start with SHLTKN-/],
  ["version 2", `SHLTKN-2-${D}-${S}`, "version", /version "2" is not 1/],
  [
    "the old format (cluster id, role letter)",
    "SHLTKN-1-mvd6u0pbg000x3n9ttqkx5rlb-wabcdefghijabcdefghijabcdefghijab",
    "digest",
    /CA digest \(third part\) must be 50 characters, it has 25/,
  ],
  ["a missing secret", `SHLTKN-1-${D}`, "shape", /3 parts .* a token has 4/],
  ["an extra part", `SHLTKN-1-${D}-${S}-x`, "shape", /5 parts/],
  ["a short digest", `SHLTKN-1-${D.slice(1)}-${S}`, "digest", /must be 50 characters, it has 49/],
  ["an upper-case digest", `SHLTKN-1-${D.toUpperCase()}-${S}`, "digest", /only 0-9 and a-z/],
  ["a digest over 256 bits", `SHLTKN-1-${"z".repeat(50)}-${S}`, "digest", /larger than 256 bits/],
  ["a long secret", `SHLTKN-1-${D}-${S}0`, "secret", /secret \(fourth part\) must be 25 characters, it has 26/],
  ["a secret with a symbol", `SHLTKN-1-${D}-${S.slice(1)}!`, "secret", /only 0-9 and a-z/],
  ["a secret over 128 bits", `SHLTKN-1-${D}-${"z".repeat(25)}`, "secret", /larger than 128 bits/],
];

for (const [name, text, problem, message] of MALFORMED) {
  test(`a token with ${name} is refused as ${problem}`, () => {
    assert.throws(
      () => parseJoinToken(text),
      (e) =>
        e instanceof InvalidTokenError &&
        e.problem === problem &&
        e.code === "SHOAL_ERR_INVALID_TOKEN" &&
        message.test(e.message),
    );
  });
}

test("a refusal never echoes the secret", () => {
  try {
    parseJoinToken(`SHLTKN-1-${D}-${S}0`);
    assert.fail("accepted");
  } catch (e) {
    assert.ok(e instanceof InvalidTokenError);
    assert.ok(!e.message.includes(S) && !e.message.includes(D));
  }
});

test("rootDigest is SHA-256 of the DER; formatDigest is the token's digest part", () => {
  const der = Uint8Array.from([0x30, 0x00]);
  assert.deepEqual(rootDigest(der), Uint8Array.from(createHash("sha256").update(der).digest()));
  assert.equal(formatDigest(digest("root")), D);
});

test("secretsEqual: equal, different in the last byte, different lengths", () => {
  const a = Uint8Array.from(randomBytes(16));
  const b = Uint8Array.from(a);
  assert.ok(secretsEqual(a, b));
  b[15] = b[15]! ^ 1;
  assert.ok(!secretsEqual(a, b));
  assert.ok(!secretsEqual(a, a.subarray(0, 15)));
});

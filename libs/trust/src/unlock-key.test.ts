import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidUnlockKeyError, type UnlockKeyProblem } from "./errors.js";
import { formatUnlockKey, newUnlockKey, parseUnlockKey, UNLOCK_KEY_PATTERN } from "./unlock-key.js";

test("unlock keys round-trip: SHLKEY-1-<8>-<50>, a new id and secret each time", () => {
  const keys = Array.from({ length: 50 }, () => newUnlockKey());
  for (const k of keys) {
    const text = formatUnlockKey(k);
    assert.match(text, UNLOCK_KEY_PATTERN);
    assert.deepEqual(parseUnlockKey(`  ${text}\n`), k);
  }
  assert.equal(new Set(keys.map((k) => k.id)).size, keys.length);
  assert.equal(new Set(keys.map((k) => Buffer.from(k.secret).toString("hex"))).size, keys.length);
  const max = { id: (2n ** 40n - 1n).toString(36), secret: new Uint8Array(32).fill(0xff) };
  assert.equal(formatUnlockKey(max), `SHLKEY-1-${max.id}-${(2n ** 256n - 1n).toString(36)}`);
  assert.equal(formatUnlockKey({ id: "00000000", secret: new Uint8Array(32) }), `SHLKEY-1-00000000-${"0".repeat(50)}`);
});

test("a malformed unlock key is refused naming the part, never echoing the key", () => {
  const good = formatUnlockKey(newUnlockKey());
  const [, , id = "", secret = ""] = good.split("-");
  const cases: [string, UnlockKeyProblem][] = [
    [good.replace("SHLKEY", "SHLTKN"), "prefix"],
    [good.replace("-1-", "-2-"), "version"],
    [`${good}-x`, "shape"],
    [good.replace(id, id.slice(1)), "id"],
    [good.replace(id, "zzzzzzzz"), "id"],
    [good.replace(secret, secret.toUpperCase()), "secret"],
    [good.replace(secret, "z".repeat(50)), "secret"],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseUnlockKey(text),
      (e: unknown) => {
        assert.ok(e instanceof InvalidUnlockKeyError);
        assert.equal(e.problem, problem, text);
        assert.equal(e.code, "SHOAL_ERR_INVALID_UNLOCK_KEY");
        assert.ok(!e.message.includes(secret.slice(0, 10)), e.message);
        return true;
      },
    );
  }
});

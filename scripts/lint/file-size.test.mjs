// Tests of the file-size check: a long file needs its reason at the top.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LIMIT, tooLong } from "./file-size.mjs";

const body = (n) => "x;\n".repeat(n);

test("a file of up to 400 lines passes; one more line fails and says how to fix it", () => {
  assert.equal(tooLong("a.ts", body(LIMIT)), undefined);
  assert.match(
    tooLong("a.ts", body(LIMIT + 1)) ?? "",
    /^a\.ts: 401 lines, over 400 with no reason at its top: split it/,
  );
});

test("a long file passes with a reason in a comment at its top, not further down or without a reason", () => {
  assert.equal(tooLong("a.ts", `// Over 400 lines: one state machine, as etcd's raft.go.\n${body(500)}`), undefined);
  assert.equal(tooLong("a.ts", `/**\n * Over 400 lines: one suite on one cluster.\n */\n${body(500)}`), undefined);
  assert.ok(tooLong("a.ts", `${body(20)}// Over 400 lines: too late.\n${body(500)}`));
  assert.ok(tooLong("a.ts", `// Over 400 lines:\n${body(500)}`));
});

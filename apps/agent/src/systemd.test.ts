import assert from "node:assert/strict";
import { test } from "node:test";
import { SystemdError } from "./errors.js";
import { steadyArgs, unitEnvText } from "./systemd.js";

test("steadyArgs drops the first-start flags and keeps the rest in order", () => {
  const cases: [string[], string[]][] = [
    [
      ["--init", "--data-dir", "/d", "--api-port", "7070"],
      ["--data-dir", "/d", "--api-port", "7070"],
    ],
    [
      ["--join", "10.0.0.1:7070", "--token", "SHLTKN-1-x-m1", "--advertise-addr", "10.0.0.2"],
      ["--advertise-addr", "10.0.0.2"],
    ],
    [
      ["--force-new-cluster", "--data-dir", "/d"],
      ["--data-dir", "/d"],
    ],
    [
      ["--label", "zone=a"],
      ["--label", "zone=a"],
    ],
  ];
  for (const [args, want] of cases) assert.deepEqual(steadyArgs(args), want);
});

test("unitEnvText writes the data dir and the arguments as one systemd-split variable", () => {
  const text = unitEnvText("agent", "/var/lib/shoal", ["--data-dir", "/var/lib/shoal", "--label", "zone=a"]);
  assert.match(text, /^SHOAL_DATA_DIR="\/var\/lib\/shoal"$/m);
  assert.match(text, /^SHOAL_ARGS="--data-dir \/var\/lib\/shoal --label zone=a"$/m);
});

test("unitEnvText refuses an argument systemd would split or expand", () => {
  for (const bad of ["two words", "a$b", "", "50%", 'q"uote']) {
    assert.throws(
      () => unitEnvText("agent", "/d", ["--label", bad]),
      (e: unknown) =>
        e instanceof SystemdError && e.code === "SHOAL_ERR_SYSTEMD" && e.message.includes("/etc/shoal/agent.env"),
    );
  }
});

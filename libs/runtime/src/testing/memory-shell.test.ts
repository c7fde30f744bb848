import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { ManualClock } from "./memory-clock.js";
import { SimProcess } from "./memory-process.js";
import { parseProgram } from "./memory-shell.js";
import { parseSignal } from "./memory-signals.js";

/** Runs argv to its end on a manual clock; returns exit code, output ("1:" stdout, "2:" stderr) and time taken. */
async function runToEnd(
  argv: string[],
  options: { stdin?: string; signalAfterMs?: [number, number] } = {},
): Promise<{ code: number; out: string[]; ms: number }> {
  const clock = new ManualClock(0);
  const out: string[] = [];
  const files = new Set<string>();
  let code: number | undefined;
  const proc = new SimProcess(
    parseProgram(argv, "cmd"),
    {
      clock,
      write: (s, t) => out.push(`${s === "stdout" ? 1 : 2}:${t}`),
      env: ["A=1"],
      files,
      ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    },
    (c) => (code = c),
  );
  proc.start();
  if (options.signalAfterMs) {
    const [ms, sig] = options.signalAfterMs;
    await clock.advance(ms);
    proc.signal(sig);
  }
  while (code === undefined && clock.pendingTimers > 0) await clock.advance(100);
  assert.notEqual(code, undefined, "the process did not end");
  return { code: code as number, out, ms: clock.now() };
}

describe("the in-memory executor's interpreter", () => {
  const cases: { argv: string[]; code: number; out: string[]; ms?: number; stdin?: string }[] = [
    { argv: ["true"], code: 0, out: [] },
    { argv: ["/bin/false"], code: 1, out: [] },
    { argv: ["echo", "a", "b"], code: 0, out: ["1:a b\n"] },
    { argv: ["busybox", "echo", "-n", "x"], code: 0, out: ["1:x"] },
    { argv: ["sleep", "1.5"], code: 0, out: [], ms: 1500 },
    { argv: ["cat"], code: 0, out: ["1:in\n"], stdin: "in\n" },
    { argv: ["env"], code: 0, out: ["1:A=1\n"] },
    { argv: ["sh"], code: 0, out: [] },
    { argv: ["sh", "-c", "echo hi; exit 3"], code: 3, out: ["1:hi\n"] },
    { argv: ["/bin/sh", "-c", "false; exit"], code: 1, out: [] },
    { argv: ["sh", "-c", "false\ntrue"], code: 0, out: [] },
    { argv: ["sh", "-c", "exit 300"], code: 44, out: [] },
    { argv: ["sh", "-c", `echo 'a;b' "c\\"d" e\\ f # comment`], code: 0, out: ['1:a;b c"d e f\n'] },
    {
      argv: ["sh", "-c", "echo err >&2; echo also 1>&2; echo gone >/dev/null; echo out"],
      code: 0,
      out: ["2:err\n", "2:also\n", "1:out\n"],
    },
    {
      argv: ["sh", "-c", "rm /x 2>&1; rm /y 2>/dev/null; rm -f /z"],
      code: 0,
      out: ["1:rm: can't remove '/x': No such file or directory\n"],
    },
    { argv: ["sh", "-c", "touch /ok; [ -e /ok ]"], code: 0, out: [] },
    { argv: ["sh", "-c", "touch /ok; rm /ok; test -f /ok"], code: 1, out: [] },
    { argv: ["sh", "-c", "echo a; sleep 2; echo b"], code: 0, out: ["1:a\n", "1:b\n"], ms: 2000 },
  ];
  for (const c of cases) {
    it(`runs ${JSON.stringify(c.argv)}`, async () => {
      const r = await runToEnd(c.argv, c.stdin === undefined ? {} : { stdin: c.stdin });
      assert.deepEqual([r.code, r.out], [c.code, c.out]);
      if (c.ms !== undefined) assert.equal(r.ms, c.ms);
    });
  }

  it("ends a sleep on a signal with 128 + signal, unless trapped; SIGKILL always", async () => {
    assert.equal((await runToEnd(["sleep", "100"], { signalAfterMs: [1000, 15] })).code, 143);
    assert.equal((await runToEnd(["sleep", "100"], { signalAfterMs: [1000, 2] })).code, 130);
    const trapped = await runToEnd(["sh", "-c", 'trap "" TERM; sleep 3; echo done'], { signalAfterMs: [1000, 15] });
    assert.deepEqual([trapped.code, trapped.out, trapped.ms], [0, ["1:done\n"], 3000]);
    assert.equal((await runToEnd(["sh", "-c", 'trap "" TERM KILL; sleep 3'], { signalAfterMs: [1000, 9] })).code, 137);
    assert.equal(
      (await runToEnd(["sh", "-c", 'trap "" TERM; trap - TERM; sleep 3'], { signalAfterMs: [1000, 15] })).code,
      143,
    );
    assert.equal(
      (await runToEnd(["sleep", "3"], { signalAfterMs: [1000, 17] })).code,
      0,
      "SIGCHLD is ignored by default",
    );
  });

  const refused: [string[], RegExp][] = [
    [[], /no command/],
    [["ls"], /does not know "ls"/],
    [["exit", "1"], /shell builtin/],
    [["sh", "script.sh"], /sh -c/],
    [["sh", "-c", "echo a | cat"], /"\|"/],
    [["sh", "-c", "true && false"], /"&"/],
    [["sh", "-c", "echo $HOME"], /"\$"/],
    [["sh", "-c", 'echo "$HOME"'], /expansion/],
    [["sh", "-c", "echo 'open"], /unterminated single quote/],
    [["sh", "-c", "echo > /tmp/x"], /redirection/],
    [["sh", "-c", "sleep x"], /sleep takes one number/],
    [["sh", "-c", "exit x"], /exit takes/],
    [["sh", "-c", "trap 'echo' TERM"], /trap/],
    [["sh", "-c", 'trap "" NOPE'], /unknown signal/],
    [["sh", "-c", "test -d /x"], /test -e/],
    [["sh", "-c", "wget x"], /does not know "wget"/],
  ];
  for (const [argv, message] of refused) {
    it(`refuses ${JSON.stringify(argv)} with InvalidSpecError`, () => {
      assert.throws(
        () => parseProgram(argv, "cmd"),
        (err: unknown) => err instanceof InvalidSpecError && err.field === "cmd" && message.test(err.message),
      );
    });
  }

  it("parses signal names and numbers", () => {
    assert.deepEqual(
      ["SIGTERM", "TERM", "term", 15, "9", "SIGKILL", "USR1"].map((s) => parseSignal(s)),
      [15, 15, 15, 15, 9, 9, 10],
    );
    for (const bad of ["SIGNOPE", 0, 65, "", "1.5"]) assert.throws(() => parseSignal(bad), InvalidSpecError);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { parseSignal } from "./signals.js";

describe("parseSignal", () => {
  const good: [string | number, number][] = [
    ["SIGTERM", 15],
    ["TERM", 15],
    ["sigterm", 15],
    ["term", 15],
    ["15", 15],
    [15, 15],
    [" SIGKILL ", 9],
    ["SIGHUP", 1],
    ["SIGUSR1", 10],
    ["SIGUSR2", 12],
    ["SIGCHLD", 17],
    ["SIGWINCH", 28],
    ["SIGSYS", 31],
    ["SIGRTMIN", 34],
    ["SIGRTMIN+3", 37],
    ["RTMIN+30", 64],
    ["SIGRTMAX", 64],
    ["SIGRTMAX-1", 63],
    ["SIGRTMAX-30", 34],
    [1, 1],
    [64, 64],
    ["64", 64],
  ];
  for (const [input, want] of good) {
    it(`reads ${JSON.stringify(input)} as ${want}`, () => assert.equal(parseSignal(input), want));
  }

  const bad: (string | number)[] = [
    "",
    "SIG",
    "SIGFOO",
    "FOO",
    "0",
    0,
    65,
    "65",
    -1,
    1.5,
    "SIGRTMIN+31",
    "SIGRTMAX+1",
    "SIGRTMIN-1",
    "SIGRTMAX-31",
    "15x",
    "SIGTERM ; rm",
  ];
  for (const input of bad) {
    it(`refuses ${JSON.stringify(input)}, naming the field`, () => {
      assert.throws(
        () => parseSignal(input, "stopSignal"),
        (e: unknown) => e instanceof InvalidSpecError && e.field === "stopSignal" && /SIGTERM/.test(e.message),
      );
    });
  }
});

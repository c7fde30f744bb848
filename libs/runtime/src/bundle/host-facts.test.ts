import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { maxNofileFromProc } from "./host-facts.js";

const limits = (hard: string): string =>
  [
    "Limit                     Soft Limit           Hard Limit           Units",
    `Max open files            1024                 ${hard}                files`,
  ].join("\n");

describe("maxNofileFromProc", () => {
  const cases: [string, string, string, string, number | undefined][] = [
    ["with CAP_SYS_RESOURCE: nr_open", "CapEff:\t000001ffffffffff", limits("20000"), "1048576\n", 1048576],
    ["without CAP_SYS_RESOURCE: own hard limit", "CapEff:\t000001fffeffffff", limits("20000"), "1048576\n", 20000],
    ["an unlimited hard limit: nr_open", "CapEff:\t0000000000000000", limits("unlimited"), "1048576", 1048576],
    ["unreadable texts", "", "", "", undefined],
  ];
  for (const [name, status, lim, nrOpen, want] of cases) {
    it(name, () => assert.equal(maxNofileFromProc(`Name:\tnode\n${status}\nCapBnd:\t0\n`, lim, nrOpen), want));
  }
});

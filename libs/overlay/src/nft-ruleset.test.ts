import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidSpecError } from "./errors.js";
import { checkRules, renderDeleteTable, renderRuleset } from "./nft-ruleset.js";
import type { PublishedPortRule } from "./types.js";

const target = { table: "shoal", bridge: "shoal0", subnet: "10.211.0.0/16" };

test("the ruleset renders every chain, with one DNAT per published port and refusals for empty ones", () => {
  const rules: PublishedPortRule[] = [
    { protocol: "udp", publishedPort: 5353, targetPort: 53, backends: ["10.211.0.4"] },
    { protocol: "tcp", publishedPort: 9090, targetPort: 90, backends: [] },
    { protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: ["10.211.0.2", "10.211.0.3"] },
    { protocol: "udp", publishedPort: 9091, targetPort: 91, backends: [] },
  ];
  assert.equal(
    renderRuleset(target, rules),
    `table ip shoal {}
flush table ip shoal
table ip shoal {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		fib daddr type local jump published
	}
	chain output {
		type nat hook output priority -100; policy accept;
		fib daddr type local jump published
	}
	chain published {
		tcp dport 8080 dnat to numgen inc mod 2 map { 0 : 10.211.0.2, 1 : 10.211.0.3 } : 80
		udp dport 5353 dnat to 10.211.0.4:53
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname != "shoal0" ip saddr 10.211.0.0/16 masquerade
		oifname "shoal0" ip saddr 127.0.0.0/8 masquerade
		oifname "shoal0" ip saddr 10.211.0.0/16 ct status dnat masquerade
	}
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "shoal0" ip daddr 127.0.0.0/8 ct state != { established, related } drop
		tcp dport 9090 reject with tcp reset
		udp dport 9091 reject
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "shoal0" accept
		oifname "shoal0" accept
	}
}
`,
  );
});

test("no rules still render the base chains, and the same rules in any order render the same text", () => {
  const empty = renderRuleset(target, []);
  assert.match(empty, /\tchain published {\n\t}\n/);
  assert.match(empty, /masquerade/);
  const a: PublishedPortRule = { protocol: "tcp", publishedPort: 1, targetPort: 2, backends: ["10.0.0.2"] };
  const b: PublishedPortRule = { protocol: "tcp", publishedPort: 3, targetPort: 4, backends: ["10.0.0.3"] };
  assert.equal(renderRuleset(target, [a, b]), renderRuleset(target, [b, a]));
});

test("deleting the table is a script that also succeeds when the table is missing", () => {
  assert.equal(renderDeleteTable("shoal"), "table ip shoal {}\ndelete table ip shoal\n");
});

test("invalid rules are refused with the field that is wrong", () => {
  const ok: PublishedPortRule = { protocol: "tcp", publishedPort: 8080, targetPort: 80, backends: ["10.211.0.2"] };
  checkRules([ok, { ...ok, protocol: "udp" }]);
  const cases: [PublishedPortRule[], RegExp][] = [
    [[{ ...ok, protocol: "sctp" as "tcp" }], /rules\[0\]\.protocol/],
    [[{ ...ok, publishedPort: 0 }], /rules\[0\]\.publishedPort/],
    [[{ ...ok, targetPort: 70000 }], /rules\[0\]\.targetPort/],
    [[{ ...ok, targetPort: 1.5 }], /rules\[0\]\.targetPort/],
    [[ok, { ...ok, targetPort: 81 }], /rules\[1\]\.publishedPort: tcp\/8080 is published twice/],
    [[{ ...ok, backends: ["10.211.0.2", "x"] }], /rules\[0\]\.backends\[1\]/],
    [[{ ...ok, backends: ["10.211.0.2", "10.211.0.2"] }], /rules\[0\]\.backends: lists an address twice/],
  ];
  for (const [rules, re] of cases) {
    assert.throws(
      () => checkRules(rules),
      (err: unknown) => err instanceof InvalidSpecError && re.test(err.message),
      String(re),
    );
  }
});

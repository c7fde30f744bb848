import assert from "node:assert/strict";
import { test } from "node:test";
import { BadIdentityError } from "./errors.js";
import { parseCertificates } from "./pem.js";
import { newTestCa, testCa } from "./testing/index.js";
import {
  anyManagerOf,
  anyManagerOfClusters,
  anyOf,
  clusterIdsOfRoots,
  formatIdentity,
  identityOfSubjectAltNames,
  managerOfNode,
  parseIdentity,
  parseSubjectAltNames,
  type Identity,
} from "./identity.js";

const GOOD: [string, Identity][] = [
  ["shoal://c1/node/n1/agent", { kind: "agent", clusterId: "c1", nodeId: "n1" }],
  ["shoal://c1/node/0abc-def_9.x/manager", { kind: "manager", clusterId: "c1", nodeId: "0abc-def_9.x" }],
  [
    "shoal://mvd6u0pbg000x3n9ttqkx5rlb/user/root",
    { kind: "user", clusterId: "mvd6u0pbg000x3n9ttqkx5rlb", userId: "root" },
  ],
];

for (const [uri, id] of GOOD) {
  test(`identity ${uri} parses and formats back`, () => {
    assert.deepEqual(parseIdentity(uri), id);
    assert.equal(formatIdentity(id), uri);
  });
}

const BAD: [string, RegExp][] = [
  ["https://c1/node/n1/agent", /start with shoal:\/\//],
  ["shoal://c1/node/n1/admin", /\/node\/<node>\/agent/],
  ["shoal://c1/node/n1", /\/node\/<node>\/agent/],
  ["shoal://c1/node/n1/agent/extra", /\/node\/<node>\/agent/],
  ["shoal://c1/user/u1/agent", /\/user\/<user>/],
  ["shoal:///node/n1/agent", /cluster id/],
  ["shoal://c1/node//agent", /node id/],
  ["shoal://c1/node/-n1/agent", /node id/],
  ["shoal://c 1/user/u1", /cluster id/],
  [`shoal://c1/user/${"u".repeat(65)}`, /user id/],
];

for (const [uri, message] of BAD) {
  test(`identity ${JSON.stringify(uri.slice(0, 40))} is refused, naming the part`, () => {
    assert.throws(
      () => parseIdentity(uri),
      (e) => e instanceof BadIdentityError && e.code === "SHOAL_ERR_BAD_IDENTITY" && message.test(e.message),
    );
  });
}

test("formatIdentity refuses ids that would change the URI's shape", () => {
  assert.throws(() => formatIdentity({ kind: "agent", clusterId: "c1", nodeId: "n1/manager" }), BadIdentityError);
  assert.throws(() => formatIdentity({ kind: "user", clusterId: "", userId: "u" }), BadIdentityError);
});

test("the identity of a SAN list: exactly one shoal URI, other entries and schemes ignored, quoted values read", () => {
  assert.deepEqual(identityOfSubjectAltNames("URI:shoal://c1/node/n1/manager, IP Address:127.0.0.1, DNS:localhost"), {
    kind: "manager",
    clusterId: "c1",
    nodeId: "n1",
  });
  assert.deepEqual(identityOfSubjectAltNames('DNS:"a,b", URI:https://x.example/, URI:shoal://c1/user/u1'), {
    kind: "user",
    clusterId: "c1",
    userId: "u1",
  });
  assert.equal(identityOfSubjectAltNames(undefined), undefined);
  assert.equal(identityOfSubjectAltNames("DNS:localhost"), undefined);
  assert.equal(
    identityOfSubjectAltNames("URI:shoal://c1/node/n1/agent, URI:shoal://c1/node/n2/agent"),
    undefined,
    "ambiguous",
  );
  assert.equal(identityOfSubjectAltNames("URI:shoal://c1/node/n1/root"), undefined, "malformed");
  // A quoted value hides no second entry.
  assert.deepEqual(parseSubjectAltNames('DNS:"x, URI:shoal://c1/node/n1/manager"'), [
    { type: "DNS", value: "x, URI:shoal://c1/node/n1/manager" },
  ]);
  assert.equal(identityOfSubjectAltNames('DNS:"x, URI:shoal://c1/node/n1/manager"'), undefined);
});

test("matchers: any manager of a cluster or of several, one node's manager, any of several", () => {
  const m = (nodeId: string, clusterId = "c1"): Identity => ({ kind: "manager", clusterId, nodeId });
  const any = anyManagerOf("c1");
  assert.ok(any.matches(m("n1")));
  assert.ok(!any.matches(m("n1", "c2")));
  assert.ok(!any.matches({ kind: "agent", clusterId: "c1", nodeId: "n1" }));
  const one = managerOfNode("c1", "n2");
  assert.ok(one.matches(m("n2")) && !one.matches(m("n1")));
  assert.equal(one.description, "shoal://c1/node/n2/manager");
  const either = anyOf([managerOfNode("c1", "n1"), managerOfNode("c1", "n2")]);
  assert.ok(either.matches(m("n1")) && either.matches(m("n2")) && !either.matches(m("n3")));
  assert.ok(!anyOf([]).matches(m("n1")));
  const two = anyManagerOfClusters(["c1", "c2"]);
  assert.ok(two.matches(m("n1")) && two.matches(m("n1", "c2")) && !two.matches(m("n1", "c3")));
  assert.ok(!two.matches({ kind: "agent", clusterId: "c2", nodeId: "n1" }));
  assert.equal(anyManagerOfClusters(["c1"]).description, any.description);
  assert.ok(!anyManagerOfClusters([]).matches(m("n1")));
});

test("the clusters a trust bundle names: each root's O, in order, once", async () => {
  const [a, b] = [await testCa("c-a"), await newTestCa("c-b")];
  const roots = parseCertificates([...b.trust, ...a.trust, ...b.trust]);
  assert.deepEqual(clusterIdsOfRoots(roots), ["c-b", "c-a"]);
  assert.deepEqual(clusterIdsOfRoots([]), []);
});

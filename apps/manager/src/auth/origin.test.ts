// Where a request with the dashboard's session cookie may come from: a Host among the manager's names always,
// and for a change, the page's own Origin.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkBrowserRequest, managerNames, normalizeName, type ManagerOrigin } from "./origin.js";

const SANS =
  "URI:shoal://c1/node/n1/manager, IP Address:10.0.0.5, IP Address:127.0.0.1, DNS:localhost, DNS:Manager-1.Example";
const m: ManagerOrigin = { scheme: "https", names: managerNames(SANS) };

test("the manager's names are its certificate's DNS and IP names and loopback, normalized", () => {
  assert.deepEqual([...m.names].sort(), ["10.0.0.5", "127.0.0.1", "[::1]", "localhost", "manager-1.example"]);
  assert.deepEqual([...managerNames(undefined, ["192.168.1.9"])].sort(), [
    "127.0.0.1",
    "192.168.1.9",
    "[::1]",
    "localhost",
  ]);
  assert.deepEqual([...managerNames("IP Address:0:0:0:0:0:0:0:1, IP Address:FE80:0:0:0:0:0:0:1")].sort(), [
    "127.0.0.1",
    "[::1]",
    "[fe80::1]",
    "localhost",
  ]);
  assert.equal(normalizeName("a b"), undefined);
  assert.equal(normalizeName("evil.com/x"), undefined);
});

test("a GET needs only a Host among the manager's names, on any port", () => {
  const cases: [string | undefined, boolean][] = [
    ["10.0.0.5:7070", true],
    ["127.0.0.1:7070", true],
    ["localhost:7070", true],
    ["LOCALHOST:7070", true],
    ["[::1]:7070", true],
    ["manager-1.example:7070", true],
    ["10.0.0.5", true],
    ["evil.example:7070", false],
    ["10.0.0.6:7070", false],
    ["127.0.0.1:7070@evil.example", false],
    ["evil.example:7070/10.0.0.5", false],
    ["::1", false],
    ["", false],
    [undefined, false],
  ];
  for (const [host, ok] of cases) {
    const got = checkBrowserRequest({ method: "GET", host, origin: undefined }, m);
    assert.equal(got.ok, ok, `${host}: ${JSON.stringify(got)}`);
    if (!got.ok && host) assert.match(got.why, /is not one of this manager's names .*DNS rebinding/);
  }
  assert.deepEqual(checkBrowserRequest({ method: "HEAD", host: "localhost:1", origin: "https://evil.example" }, m), {
    ok: true,
  });
});

test("a change needs the Origin of the page the Host names: https://<Host>", () => {
  const host = "10.0.0.5:7070";
  const cases: [string | undefined, boolean | RegExp][] = [
    ["https://10.0.0.5:7070", true],
    ["https://10.0.0.5:7070/", true],
    [undefined, /must carry the Origin header .*\(https:\/\/10\.0\.0\.5:7070\), and this request has none/],
    ["null", /came from "null"/],
    ["http://10.0.0.5:7070", /came from "http:\/\/10\.0\.0\.5:7070" \(cross-site request forgery\)/],
    ["https://10.0.0.5:7071", false],
    ["https://127.0.0.1:7070", false],
    ["https://evil.example", false],
    ["https://10.0.0.5:7070/path", false],
    ["https://user@10.0.0.5:7070", false],
    ["not a url", false],
  ];
  for (const method of ["POST", "DELETE", "PATCH"])
    for (const [origin, want] of cases) {
      const got = checkBrowserRequest({ method, host, origin }, m);
      assert.equal(got.ok, want === true, `${method} from ${origin}: ${JSON.stringify(got)}`);
      if (want instanceof RegExp && !got.ok) assert.match(got.why, want);
    }
  // The Host is checked first: a matching Origin does not make a foreign name one of the manager's.
  const foreign = checkBrowserRequest({ method: "POST", host: "evil.example", origin: "https://evil.example" }, m);
  assert.equal(foreign.ok, false);
  // A plain-HTTP API (tests) expects its own scheme.
  const plain: ManagerOrigin = { scheme: "http", names: m.names };
  assert.equal(checkBrowserRequest({ method: "POST", host, origin: "http://10.0.0.5:7070" }, plain).ok, true);
  assert.equal(checkBrowserRequest({ method: "POST", host, origin: "https://10.0.0.5:7070" }, plain).ok, false);
});

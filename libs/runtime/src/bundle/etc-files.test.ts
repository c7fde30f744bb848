import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { containerResolvConf, renderHostnameFile, renderHostsFile } from "./etc-files.js";

describe("renderHostsFile", () => {
  it("has the localhost lines and names the container at each of its addresses", () => {
    const text = renderHostsFile({ hostname: "web-1", addresses: ["10.0.0.5", "fd00::5"] });
    const lines = text.trimEnd().split("\n");
    assert.ok(text.endsWith("\n"));
    assert.equal(lines[0], "127.0.0.1\tlocalhost");
    assert.equal(lines[1], "::1\tlocalhost ip6-localhost ip6-loopback");
    assert.deepEqual(lines.slice(-2), ["10.0.0.5\tweb-1", "fd00::5\tweb-1"]);
  });

  it("points the name at 127.0.1.1 when the container has no address", () => {
    const lines = renderHostsFile({ hostname: "box" }).trimEnd().split("\n");
    assert.equal(lines.at(-1), "127.0.1.1\tbox");
    assert.equal(lines.filter((l) => l.endsWith("\tbox")).length, 1);
  });

  const bad: [Parameters<typeof renderHostsFile>[0], string][] = [
    [{ hostname: "-bad" }, "hostname"],
    [{ hostname: "a b" }, "hostname"],
    [{ hostname: "ok", addresses: ["10.0.0.256"] }, "addresses[0]"],
    [{ hostname: "ok", addresses: ["10.0.0.1", "host\n1.2.3.4 evil"] }, "addresses[1]"],
  ];
  for (const [input, field] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => renderHostsFile(input),
        (e: unknown) => e instanceof InvalidSpecError && e.field === field,
      );
    });
  }
});

describe("renderHostnameFile", () => {
  it("is the name and a newline", () => assert.equal(renderHostnameFile("web-1.example"), "web-1.example\n"));
  it("refuses a name that would inject lines", () => {
    assert.throws(() => renderHostnameFile("a\nb"), InvalidSpecError);
  });
});

describe("containerResolvConf", () => {
  const host = "search corp.example\nnameserver 127.0.0.53\nnameserver 192.0.2.53\noptions edns0 trust-ad\n";

  it("is the host's without loopback servers, or the given servers with the host's search and options", () => {
    assert.equal(containerResolvConf(host, "host"), host);
    assert.equal(
      containerResolvConf(host, "path"),
      "search corp.example\nnameserver 192.0.2.53\noptions edns0 trust-ad\n",
    );
    assert.equal(
      containerResolvConf(host, "path", ["10.211.0.1"]),
      "nameserver 10.211.0.1\nsearch corp.example\noptions edns0 trust-ad\n",
    );
  });
});

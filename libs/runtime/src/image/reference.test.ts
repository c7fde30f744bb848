import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidReferenceError } from "../errors.js";
import { normalizeReference, parseReference, parseTagReference } from "./reference.js";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference", () => {
  const ok: Array<[string, string]> = [
    ["busybox", "docker.io/library/busybox:latest"],
    ["busybox:1.36", "docker.io/library/busybox:1.36"],
    ["library/busybox", "docker.io/library/busybox:latest"],
    ["docker.io/busybox", "docker.io/library/busybox:latest"],
    ["index.docker.io/library/busybox:1", "docker.io/library/busybox:1"],
    ["user/app", "docker.io/user/app:latest"],
    ["host:5000/a/b:tag", "host:5000/a/b:tag"],
    ["localhost/app", "localhost/app:latest"],
    ["localhost:5000/app", "localhost:5000/app:latest"],
    ["reg.example.com/team/app_x-1.y__z:v1.0-rc_1", "reg.example.com/team/app_x-1.y__z:v1.0-rc_1"],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`],
    [`host:5000/a:1@${D}`, `host:5000/a:1@${D}`],
    ["[::1]:5000/app", "[::1]:5000/app:latest"],
  ];
  for (const [ref, want] of ok) it(`normalizes ${ref}`, () => assert.equal(normalizeReference(ref), want));

  it("splits domain, path, tag and digest", () => {
    assert.deepEqual(parseReference(`host:5000/a/b:t@${D}`), {
      domain: "host:5000",
      path: "a/b",
      name: "host:5000/a/b",
      tag: "t",
      digest: D,
    });
  });

  const bad: Array<[string, RegExp]> = [
    ["", /empty/],
    ["Busybox", /must be lowercase/],
    ["busybox:", /tag ""/],
    ["busybox:-x", /tag "-x"/],
    ["a//b", /path component ""/],
    ["a/b_", /path component "b_"/],
    ["busybox@sha256:abc", /64 lowercase hex/],
    [`busybox@sha512:${"a".repeat(128)}`, /only sha256/],
    [":tag", /repository name is missing/],
    [" busybox", /spaces/],
    ["bad_host.com:x/app", /path component|registry/],
    [`${"a".repeat(250)}/b`, /longer than 255/],
  ];
  for (const [ref, message] of bad) {
    it(`rejects ${JSON.stringify(ref.slice(0, 30))}`, () => {
      assert.throws(
        () => parseReference(ref),
        (err: unknown) => err instanceof InvalidReferenceError && message.test(err.message),
      );
    });
  }

  it("refuses a digest where a tag is needed", () => {
    assert.equal(parseTagReference("app"), "docker.io/library/app:latest");
    assert.throws(() => parseTagReference(`app@${D}`), InvalidReferenceError);
  });
});

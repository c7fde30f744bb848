import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidSpecError } from "../errors.js";
import { resolveUser, type ResolvedUser } from "./resolve-user.js";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/sh",
  "# a comment",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "app:x:1000:1000:App:/home/app:/bin/sh",
  "broken line",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "",
].join("\n");

const GROUP = [
  "root:x:0:",
  "wheel:x:10:root,app",
  "app:x:1000:",
  "audio:x:29:app",
  "staff:x:50: app , other",
  "nogroup:x:65534:",
].join("\n");

describe("resolveUser", () => {
  const cases: [string, string | undefined, string | undefined, ResolvedUser][] = [
    ["", PASSWD, GROUP, { uid: 0, gid: 0, additionalGids: [10] }],
    ["", undefined, undefined, { uid: 0, gid: 0, additionalGids: [] }],
    ["root", PASSWD, GROUP, { uid: 0, gid: 0, additionalGids: [10] }],
    ["app", PASSWD, GROUP, { uid: 1000, gid: 1000, additionalGids: [10, 29, 50] }],
    ["app", PASSWD, undefined, { uid: 1000, gid: 1000, additionalGids: [] }],
    // A uid of a passwd entry takes that entry's gid and groups.
    ["1000", PASSWD, GROUP, { uid: 1000, gid: 1000, additionalGids: [10, 29, 50] }],
    // A uid without an entry is allowed, with gid 0.
    ["4242", PASSWD, GROUP, { uid: 4242, gid: 0, additionalGids: [] }],
    ["4242", undefined, undefined, { uid: 4242, gid: 0, additionalGids: [] }],
    // An explicit group replaces the primary group and drops the supplementary ones.
    ["app:audio", PASSWD, GROUP, { uid: 1000, gid: 29, additionalGids: [] }],
    ["app:77", PASSWD, GROUP, { uid: 1000, gid: 77, additionalGids: [] }],
    ["4242:4343", undefined, undefined, { uid: 4242, gid: 4343, additionalGids: [] }],
    ["nobody:nogroup", PASSWD, GROUP, { uid: 65534, gid: 65534, additionalGids: [] }],
  ];
  for (const [user, passwd, group, want] of cases) {
    it(`resolves ${JSON.stringify(user)}${passwd === undefined ? " without /etc/passwd" : ""} to ${JSON.stringify(want)}`, () => {
      assert.deepEqual(resolveUser(user, passwd, group), want);
    });
  }

  const bad: [string, string | undefined, string | undefined, RegExp][] = [
    ["ghost", PASSWD, GROUP, /no user "ghost"/],
    ["root", undefined, undefined, /no \/etc\/passwd/],
    ["app:ghosts", PASSWD, GROUP, /no group "ghosts"/],
    ["app:audio", PASSWD, undefined, /no \/etc\/group/],
    ["app:", PASSWD, GROUP, /name:group/],
    ["a:b:c", PASSWD, GROUP, /name:group/],
    ["99999999999", PASSWD, GROUP, /no user/],
    ["1:2147483648", PASSWD, GROUP, /no group/],
  ];
  for (const [user, passwd, group, message] of bad) {
    it(`refuses ${JSON.stringify(user)}`, () => {
      assert.throws(
        () => resolveUser(user, passwd, group),
        (e: unknown) => e instanceof InvalidSpecError && e.field === "user" && message.test(e.message),
      );
    });
  }
});

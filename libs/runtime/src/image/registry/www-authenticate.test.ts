import assert from "node:assert/strict";
import { test } from "node:test";
import { parseWwwAuthenticate } from "./www-authenticate.js";
import type { AuthChallenge } from "./www-authenticate.js";

const cases: { name: string; header: string; want: AuthChallenge[] }[] = [
  {
    name: "Docker Hub's Bearer challenge",
    header:
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
    want: [
      {
        scheme: "bearer",
        params: {
          realm: "https://auth.docker.io/token",
          service: "registry.docker.io",
          scope: "repository:library/busybox:pull",
        },
      },
    ],
  },
  {
    name: "a comma inside a quoted value belongs to the value",
    header: 'Bearer realm="http://127.0.0.1:1/token",scope="repository:a/b:pull,push"',
    want: [{ scheme: "bearer", params: { realm: "http://127.0.0.1:1/token", scope: "repository:a/b:pull,push" } }],
  },
  {
    name: "Basic",
    header: 'Basic realm="Registry Realm"',
    want: [{ scheme: "basic", params: { realm: "Registry Realm" } }],
  },
  { name: "a scheme alone", header: "Basic", want: [{ scheme: "basic", params: {} }] },
  {
    name: "scheme and parameter names are case-insensitive",
    header: 'BEARER Realm="x", SERVICE="y"',
    want: [{ scheme: "bearer", params: { realm: "x", service: "y" } }],
  },
  {
    name: "unquoted values and spaces around =",
    header: "Bearer realm = https://r.example/token , service=reg",
    want: [{ scheme: "bearer", params: { realm: "https://r.example/token", service: "reg" } }],
  },
  {
    name: "escaped quote and backslash in a quoted value",
    header: 'Bearer realm="a\\"b\\\\c"',
    want: [{ scheme: "bearer", params: { realm: 'a"b\\c' } }],
  },
  {
    name: "two challenges in one header",
    header: 'Basic realm="a", Bearer realm="b",service="c"',
    want: [
      { scheme: "basic", params: { realm: "a" } },
      { scheme: "bearer", params: { realm: "b", service: "c" } },
    ],
  },
  {
    name: "a token68 credential before another challenge",
    header: 'Negotiate abc==, Basic realm="x"',
    want: [
      { scheme: "negotiate", params: {} },
      { scheme: "basic", params: { realm: "x" } },
    ],
  },
  { name: "empty", header: "", want: [] },
  { name: "garbage is skipped, not thrown on", header: ', ,="x" ;', want: [] },
  {
    name: "an unterminated quote runs to the end",
    header: 'Bearer realm="https://r.example/tok',
    want: [{ scheme: "bearer", params: { realm: "https://r.example/tok" } }],
  },
];

for (const c of cases) {
  test(`parseWwwAuthenticate: ${c.name}`, () => {
    assert.deepEqual(parseWwwAuthenticate(c.header), c.want);
  });
}

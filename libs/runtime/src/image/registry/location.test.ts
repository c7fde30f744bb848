import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidReferenceError } from "../../errors.js";
import { registryLocation, registryScheme } from "./location.js";
import type { RegistryLocation } from "./location.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;

const cases: { ref: string; want: RegistryLocation }[] = [
  {
    ref: "busybox",
    want: { domain: "docker.io", host: "registry-1.docker.io", repository: "library/busybox", tag: "latest" },
  },
  {
    ref: "busybox:1.36",
    want: { domain: "docker.io", host: "registry-1.docker.io", repository: "library/busybox", tag: "1.36" },
  },
  {
    ref: "docker.io/library/busybox",
    want: { domain: "docker.io", host: "registry-1.docker.io", repository: "library/busybox", tag: "latest" },
  },
  {
    ref: "index.docker.io/busybox",
    want: { domain: "docker.io", host: "registry-1.docker.io", repository: "library/busybox", tag: "latest" },
  },
  { ref: "team/app:2", want: { domain: "docker.io", host: "registry-1.docker.io", repository: "team/app", tag: "2" } },
  {
    ref: "127.0.0.1:5000/app:1",
    want: { domain: "127.0.0.1:5000", host: "127.0.0.1:5000", repository: "app", tag: "1" },
  },
  {
    ref: "127.0.0.1:5000/app",
    want: { domain: "127.0.0.1:5000", host: "127.0.0.1:5000", repository: "app", tag: "latest" },
  },
  { ref: "localhost/a/b/c", want: { domain: "localhost", host: "localhost", repository: "a/b/c", tag: "latest" } },
  { ref: "ghcr.io/org/app", want: { domain: "ghcr.io", host: "ghcr.io", repository: "org/app", tag: "latest" } },
  {
    ref: `registry.example:443/app@${DIGEST}`,
    want: { domain: "registry.example:443", host: "registry.example:443", repository: "app", digest: DIGEST },
  },
  {
    ref: `app:1@${DIGEST}`,
    want: { domain: "docker.io", host: "registry-1.docker.io", repository: "library/app", tag: "1", digest: DIGEST },
  },
];

for (const c of cases) {
  test(`registryLocation(${c.ref})`, () => {
    assert.deepEqual(registryLocation(c.ref), c.want);
  });
}

for (const ref of [
  "",
  "Busybox",
  "app:",
  "app:-x",
  "app@sha256:short",
  "app@md5:abc",
  "/app",
  "a//b",
  "127.0.0.1:5000/",
]) {
  test(`registryLocation refuses ${JSON.stringify(ref)}`, () => {
    assert.throws(
      () => registryLocation(ref),
      (err: unknown) => err instanceof InvalidReferenceError && err.ref === ref,
    );
  });
}

test("registryScheme: http for loopback and listed insecure hosts, https otherwise", () => {
  const insecure = ["reg.lan:5000", "plain.lan"];
  const table: [string, "http" | "https"][] = [
    ["localhost", "http"],
    ["localhost:5000", "http"],
    ["127.0.0.1:5000", "http"],
    ["127.1.2.3", "http"],
    ["[::1]:5000", "http"],
    ["reg.lan:5000", "http"],
    ["reg.lan:6000", "https"],
    ["plain.lan:8080", "http"],
    ["registry-1.docker.io", "https"],
    ["128.0.0.1:5000", "https"],
    ["localhost.example.com", "https"],
  ];
  for (const [host, want] of table) assert.equal(registryScheme(host, insecure), want, host);
});

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { DigestMismatchError, NotFoundError, RegistryError } from "../../errors.js";
import { RegistryClient } from "./registry-client.js";
import type { RegistryClientOptions } from "./registry-client.js";

/** A request the fake registry saw. */
interface Seen {
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

type Route = (url: URL, headers: Headers) => Response;

/** A client whose fetch answers from `route` in memory and records every request. */
function fakeClient(
  route: Route,
  options: Omit<RegistryClientOptions, "fetch"> = {},
): { client: RegistryClient; seen: Seen[] } {
  const seen: Seen[] = [];
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init?.headers);
    seen.push({
      url: url.href,
      authorization: headers.get("authorization") ?? undefined,
      accept: headers.get("accept") ?? undefined,
    });
    return Promise.resolve(route(url, headers));
  };
  return { client: new RegistryClient({ ...options, fetch: fetchImpl }), seen };
}

const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const MANIFEST_DIGEST = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
const manifestAnswer = (): Response =>
  new Response(MANIFEST, { status: 200, headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
const bearerChallenge = (realm: string): Response =>
  new Response(null, {
    status: 401,
    headers: {
      "www-authenticate": `Bearer realm="${realm}",service="reg.test",scope="repository:library/busybox:pull"`,
    },
  });
const refused = (rejection: unknown, check: (err: RegistryError) => void): boolean => {
  assert.ok(rejection instanceof RegistryError, String(rejection));
  check(rejection);
  return true;
};

test("RegistryClient picks https for remote registries and http for loopback and insecure ones", async () => {
  const { client, seen } = fakeClient(() => manifestAnswer(), { insecureRegistries: ["reg.lan:5000"] });
  await client.fetchManifest("busybox");
  await client.fetchManifest("127.0.0.1:5000/app:1");
  await client.fetchManifest("reg.lan:5000/team/app:2");
  assert.deepEqual(
    seen.map((s) => s.url),
    [
      "https://registry-1.docker.io/v2/library/busybox/manifests/latest",
      "http://127.0.0.1:5000/v2/app/manifests/1",
      "http://reg.lan:5000/v2/team/app/manifests/2",
    ],
  );
  for (const type of [
    "oci.image.index.v1",
    "oci.image.manifest.v1",
    "docker.distribution.manifest.list.v2",
    "docker.distribution.manifest.v2",
  ]) {
    assert.match(seen[0]?.accept ?? "", new RegExp(`application/vnd\\.${type.replaceAll(".", "\\.")}\\+json`));
  }
});

test("RegistryClient answers a Bearer challenge, accepts access_token and reuses it until expires_in runs out", async () => {
  let now = 0;
  let issued = 0;
  const { client, seen } = fakeClient(
    (url, headers) => {
      if (url.host === "auth.test") {
        issued++;
        return Response.json({ access_token: `tok${issued}`, expires_in: 120 });
      }
      return headers.get("authorization") === `Bearer tok${issued}`
        ? manifestAnswer()
        : bearerChallenge("https://auth.test/token?x=1");
    },
    { credentials: { "docker.io": { username: "me", password: "pw" } }, clock: () => now },
  );
  assert.equal((await client.fetchManifest("busybox")).digest, MANIFEST_DIGEST);
  const tokenRequest = new URL(seen[1]?.url ?? "");
  assert.equal(tokenRequest.searchParams.get("x"), "1", "keeps the realm's own query");
  assert.equal(tokenRequest.searchParams.get("service"), "reg.test");
  assert.equal(tokenRequest.searchParams.get("scope"), "repository:library/busybox:pull");
  assert.equal(
    seen[1]?.authorization,
    `Basic ${Buffer.from("me:pw").toString("base64")}`,
    "docker.io login used for Docker Hub",
  );
  assert.equal(seen[2]?.authorization, "Bearer tok1");

  await client.fetchManifest("busybox:other");
  assert.equal(issued, 1, "cached token sent at once");
  assert.equal(seen.length, 4);
  now += 120_000;
  await client.fetchManifest("busybox");
  assert.equal(issued, 2, "expired token replaced");
});

test("RegistryClient sends a Basic login when the registry asks for one, and keeps sending it", async () => {
  const login = `Basic ${Buffer.from("u:p").toString("base64")}`;
  const route: Route = (_url, headers) =>
    headers.get("authorization") === login
      ? manifestAnswer()
      : new Response(null, { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
  const { client, seen } = fakeClient(route, { credentials: { "reg.test": { username: "u", password: "p" } } });
  await client.fetchManifest("reg.test/app");
  await client.fetchManifest("reg.test/app");
  assert.deepEqual(
    seen.map((s) => s.authorization),
    [undefined, login, login],
  );

  const anonymous = fakeClient(route).client;
  await assert.rejects(anonymous.fetchManifest("reg.test/app"), (err) =>
    refused(err, (e) => {
      assert.equal(e.httpStatus, 401);
      assert.equal(e.temporary, false);
      assert.match(e.message, /reg\.test requires a login/);
    }),
  );
});

test("RegistryClient reports a refused login and a token the registry still refuses", async () => {
  const wrongLogin = fakeClient(
    (url) => (url.host === "auth.test" ? new Response(null, { status: 401 }) : bearerChallenge("https://auth.test/t")),
    {
      credentials: { "reg.test": { username: "u", password: "bad" } },
    },
  ).client;
  await assert.rejects(wrongLogin.fetchManifest("reg.test/app"), (err) =>
    refused(err, (e) => {
      assert.equal(e.temporary, false);
      assert.match(e.message, /registry reg\.test refused the credentials of user "u"/);
    }),
  );

  const useless = fakeClient((url) =>
    url.host === "auth.test" ? Response.json({ token: "t" }) : bearerChallenge("https://auth.test/t"),
  ).client;
  await assert.rejects(useless.fetchManifest("reg.test/app"), (err) =>
    refused(err, (e) => assert.match(e.message, /refused pull access to app even after authenticating/)),
  );

  const noToken = fakeClient((url) =>
    url.host === "auth.test" ? Response.json({ nope: 1 }) : bearerChallenge("https://auth.test/t"),
  ).client;
  await assert.rejects(noToken.fetchManifest("reg.test/app"), (err) =>
    refused(err, (e) => assert.match(e.message, /no token or access_token/)),
  );
});

test("RegistryClient maps failures: 404 not found, 5xx and 429 temporary, 403 not, network errors temporary", async () => {
  const status = (code: number) => () =>
    Response.json({ errors: [{ code: "X", message: `status ${code}` }] }, { status: code });
  await assert.rejects(fakeClient(status(404)).client.fetchManifest("reg.test/app:9"), (err: unknown) => {
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.kind, "image");
    assert.match(err.message, /"reg\.test\/app:9" is not in registry reg\.test/);
    return true;
  });
  await assert.rejects(fakeClient(status(404)).client.openBlob("reg.test/app", MANIFEST_DIGEST), (err: unknown) => {
    assert.ok(err instanceof NotFoundError);
    assert.equal(err.kind, "blob");
    return true;
  });
  for (const [code, temporary] of [
    [503, true],
    [500, true],
    [429, true],
    [403, false],
    [400, false],
  ] as const) {
    await assert.rejects(fakeClient(status(code)).client.fetchManifest("reg.test/app"), (err) =>
      refused(err, (e) => {
        assert.equal(e.httpStatus, code);
        assert.equal(e.temporary, temporary, String(code));
        assert.match(e.message, new RegExp(`answered ${code} \\(X: status ${code}\\)`));
      }),
    );
  }
  const { client } = fakeClient(() => {
    throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 10.0.0.1:443") });
  });
  await assert.rejects(client.fetchManifest("10.0.0.1/app"), (err) =>
    refused(err, (e) => {
      assert.equal(e.temporary, true);
      assert.equal(e.httpStatus, undefined);
      assert.match(e.message, /cannot reach 10\.0\.0\.1 \(connect ECONNREFUSED/);
    }),
  );
});

test("RegistryClient checks a manifest fetched by digest and takes the media type from the body when the header is generic", async () => {
  const generic = fakeClient(() => new Response(MANIFEST, { headers: { "content-type": "application/json" } })).client;
  const got = await generic.fetchManifestByDigest("reg.test/app:1", MANIFEST_DIGEST);
  assert.equal(got.mediaType, "application/vnd.oci.image.manifest.v1+json");
  assert.deepEqual(got.bytes, MANIFEST);

  const other = `sha256:${"0".repeat(64)}`;
  await assert.rejects(generic.fetchManifest(`reg.test/app@${other}`), (err: unknown) => {
    assert.ok(err instanceof DigestMismatchError);
    assert.equal(err.expected, other);
    assert.equal(err.actual, MANIFEST_DIGEST);
    return true;
  });

  const huge = fakeClient(() => new Response(Buffer.alloc(5 * 1024 * 1024, 32))).client;
  await assert.rejects(huge.fetchManifest("reg.test/app"), (err) =>
    refused(err, (e) => assert.match(e.message, /larger than 4194304 bytes/)),
  );
});

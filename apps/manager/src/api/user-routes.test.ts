// The users of the API through its routes: a user created with a certificate for the key of its CSR, listed
// without its access token's hash, removed (its certificate refused at once), the last admin kept, and only
// admins calling these routes.
import assert from "node:assert/strict";
import { createPublicKey, X509Certificate } from "node:crypto";
import { test } from "node:test";
import {
  ApiError,
  USER_CERT_EXPIRY_MAX_MS,
  USER_CERT_EXPIRY_MIN_MS,
  type UserCreated,
  type UserInfo,
} from "@shoal/api";
import { accessTokenHash, CERT_EXPIRY_MAX_MS, CERT_EXPIRY_MIN_MS, EKU_OIDS, newAccessToken } from "@shoal/trust";
import { generateKeyAndCsr } from "@shoal/trust/pki";
import { newTestCa, type TestCa } from "@shoal/trust/testing";
import { addUser, certificateCaller } from "../testing/fixtures.js";
import { api, call, error, LOCAL_ADMIN, type Request } from "../testing/api-harness.js";
import { RSA_CSR } from "../testing/rsa-csr.js";
import { TEST_CA } from "../testing/test-ca.js";
import { apiTlsOf, CLUSTER, HOUR, listen, tlsClient } from "../testing/tls-api.js";
import { ANONYMOUS, type Caller } from "./caller.js";

/** The fixtures' CA, which the API harness's store signs with. */
const ca: TestCa = await newTestCa(CLUSTER, { cert: TEST_CA.cert, key: TEST_CA.key, chain: [] });
const { key: KEY, csr: CSR } = await generateKeyAndCsr({ commonName: "root" });
const HASH = accessTokenHash(newAccessToken());
const YEAR = 365 * 24 * HOUR;

const create = (body: Record<string, unknown>): Request => ({ method: "POST", url: "/v1/users", body });

test("user create: the certificate names the new user, for the CSR's key only, and the store records it", async (t) => {
  const a = await api(t);
  const before = Date.now();
  const res = await call(a, create({ name: "alice", role: "read-only", csr: CSR, accessTokenHash: HASH }));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const { user, certificate, trust } = res.body as UserCreated;
  assert.ok(!JSON.stringify(res.body).includes(HASH), "the answer holds no hash");
  assert.ok(!("accessTokenHash" in user));
  assert.deepEqual(user.spec, { name: "alice", role: "read-only" });

  // Whatever the CSR asked for (CN=root), the certificate names user alice of cluster c1, for clients only.
  const leaf = new X509Certificate(certificate);
  assert.equal(leaf.subjectAltName, `URI:shoal://c1/user/${user.id}`);
  assert.match(leaf.subject, /OU=user/);
  assert.match(leaf.subject, /CN=alice/);
  assert.deepEqual(leaf.keyUsage, [EKU_OIDS.clientAuth]);
  assert.equal(trust, TEST_CA.cert);
  assert.ok(leaf.verify(new X509Certificate(trust).publicKey));
  assert.ok(
    leaf.publicKey
      .export({ format: "der", type: "spki" })
      .equals(createPublicKey(KEY).export({ format: "der", type: "spki" })),
    "the certificate is for the CSR's key",
  );
  // Valid for a year by default.
  const validFor = Date.parse(leaf.validTo) - before;
  assert.ok(Math.abs(validFor - YEAR) < 5 * 60_000, `valid for ${validFor} ms`);

  const stored = a.store.state.get("user", user.id);
  assert.deepEqual(stored?.certificates, [
    { serial: leaf.serialNumber, notAfter: new Date(leaf.validTo).toISOString() },
  ]);
  assert.deepEqual(user.certificates, stored?.certificates);
  assert.equal(stored?.accessTokenHash, HASH);

  const short = await call(a, create({ name: "ci", role: "admin", csr: CSR, expiryMs: 2 * HOUR }));
  assert.equal(short.status, 201, JSON.stringify(short.body));
  const shortLeaf = new X509Certificate((short.body as UserCreated).certificate);
  assert.ok(Math.abs(Date.parse(shortLeaf.validTo) - Date.now() - 2 * HOUR) < 5 * 60_000);
  assert.equal(a.store.state.byName("user", "ci")?.accessTokenHash, undefined, "no token: no dashboard sign-in");
});

test("user create: a taken name is 409; a bad CSR, an RSA key, a bad hash or an expiry out of range is 400; none makes a user", async (t) => {
  const a = await api(t);
  await addUser(a.store, "u1", { name: "alice" });
  const taken = await error(a, create({ name: "alice", role: "admin", csr: CSR }), 409);
  assert.equal(taken.code, "SHOAL_ERR_ALREADY_EXISTS");
  assert.match(taken.message, /a user named "alice" already exists/);
  assert.match(taken.hint ?? "", /shoal cluster user rm alice/);

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["not a CSR", { csr: "hello" }, "SHOAL_ERR_CSR_INVALID", /PKCS#10/],
    ["an RSA key", { csr: RSA_CSR }, "SHOAL_ERR_CSR_INVALID", /P-256/],
    ["a hash that is not SHA-256 hex", { csr: CSR, accessTokenHash: "shoal_at_x" }, "SHOAL_ERR_INVALID_ARGUMENT", /./],
    ["an expiry under an hour", { csr: CSR, expiryMs: 60_000 }, "SHOAL_ERR_INVALID_ARGUMENT", /./],
    ["an expiry over a year", { csr: CSR, expiryMs: YEAR + 1 }, "SHOAL_ERR_INVALID_ARGUMENT", /./],
    ["a name with a space", { csr: CSR, name: "bob smith" }, "SHOAL_ERR_INVALID_ARGUMENT", /./],
    ["a role that is none", { csr: CSR, role: "owner" }, "SHOAL_ERR_INVALID_ARGUMENT", /./],
  ];
  for (const [what, body, code, message] of cases) {
    const e = await error(a, create({ name: "bob", role: "admin", ...body }), 400);
    assert.equal(e.code, code, what);
    assert.match(e.message, message, what);
  }
  const expiry = await error(a, create({ name: "bob", role: "admin", csr: CSR, expiryMs: 60_000 }), 400);
  assert.deepEqual(
    expiry.issues?.map((i) => i.field),
    ["expiryMs"],
  );
  assert.match(expiry.issues?.[0]?.message ?? "", /at least 1 hour/);
  assert.deepEqual(
    a.store.state.list("user").map((u) => u.spec.name),
    ["alice"],
  );
});

test("user ls: every user with its role and certificates, never an access token's hash", async (t) => {
  const a = await api(t);
  await addUser(a.store, "u2", { name: "zoe", role: "read-only", serials: ["0A"], accessTokenHash: HASH });
  await addUser(a.store, "u1", { name: "alice", serials: ["0B"], accessTokenHash: HASH });
  const res = await call(a, { method: "GET", url: "/v1/users" });
  assert.equal(res.status, 200);
  assert.ok(!JSON.stringify(res.body).includes(HASH));
  const users = res.body as UserInfo[];
  assert.deepEqual(
    users.map((u) => [u.id, u.spec.name, u.spec.role, u.certificates.map((c) => c.serial)]),
    [
      ["u1", "alice", "admin", ["0B"]],
      ["u2", "zoe", "read-only", ["0A"]],
    ],
  );
});

test("user rm: by name, id or id prefix; an unknown user is 404; the last admin user is kept with 409", async (t) => {
  const a = await api(t);
  await addUser(a.store, "u1admin", { name: "alice" });
  await addUser(a.store, "u2admin", { name: "bob" });
  await addUser(a.store, "u3viewer", { name: "carol", role: "read-only" });
  await addUser(a.store, "u4viewer", { name: "dave", role: "read-only" });
  const rm = (ref: string): Request => ({ method: "DELETE", url: `/v1/users/${ref}` });
  assert.equal((await call(a, rm("carol"))).status, 204);
  assert.equal((await call(a, rm("u4viewer"))).status, 204);
  assert.equal((await error(a, rm("u"), 400)).code, "SHOAL_ERR_AMBIGUOUS");
  const missing = await error(a, rm("nobody"), 404);
  assert.match(missing.hint ?? "", /shoal cluster user ls/);
  assert.equal((await call(a, rm("u2"))).status, 204);
  const last = await error(a, rm("alice"), 409);
  assert.equal(last.code, "SHOAL_ERR_LAST_ADMIN");
  assert.match(last.message, /alice is the cluster's last admin user/);
  assert.match(last.hint ?? "", /shoal cluster user create NAME --role admin/);
  assert.match(last.hint ?? "", /local socket/);
  assert.deepEqual(
    a.store.state.list("user").map((u) => u.spec.name),
    ["alice"],
  );
});

test("the user routes answer admins only: anonymous is 401, a read-only user or a node is 403", async (t) => {
  const a = await api(t);
  const viewer = await ca.user("viewer");
  await addUser(a.store, "viewer", { role: "read-only", serials: [viewer.serial] });
  await addUser(a.store, "admin");
  const callers: [string, Caller, number][] = [
    ["anonymous", ANONYMOUS, 401],
    ["a read-only user", certificateCaller(viewer), 403],
    ["a manager's certificate", certificateCaller(await ca.manager("n1")), 403],
    ["an agent's certificate", certificateCaller(await ca.agent("n1")), 403],
  ];
  const routes: Request[] = [
    create({ name: "mallory", role: "admin", csr: CSR }),
    { method: "GET", url: "/v1/users" },
    { method: "DELETE", url: "/v1/users/admin" },
  ];
  for (const [who, caller, status] of callers) {
    a.caller = caller;
    for (const r of routes) assert.equal((await call(a, r)).status, status, `${who}: ${r.method} ${r.url}`);
  }
  a.caller = LOCAL_ADMIN;
  assert.deepEqual(
    a.store.state.list("user").map((u) => u.spec.name),
    ["viewer", "admin"],
    "no refused request made or removed a user",
  );
});

test("over TLS: a created user's bundle works at once, and is refused with 401 once the user is removed", async (t) => {
  const a = await api(t, { tls: apiTlsOf(await ca.manager("m0", ["127.0.0.1"])) });
  const admin = await ca.user("u1");
  await addUser(a.store, "u1", { name: "admin", serials: [admin.serial] });
  const address = await listen(a.app);
  const asAdmin = tlsClient(t, address, { trust: ca.trust, creds: admin });
  const created = await asAdmin.call("userCreate", { body: { name: "bob", role: "admin", csr: CSR } });
  const asBob = tlsClient(t, address, { trust: ca.trust, creds: { chain: [created.certificate], key: KEY } });
  assert.deepEqual(
    (await asBob.call("userList", { query: {} })).map((u) => u.spec.name),
    ["admin", "bob"],
  );
  await asAdmin.call("userRemove", { params: { ref: "bob" } });
  await assert.rejects(asBob.call("nodeList", { query: {} }), (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.deepEqual([e.status, e.code], [401, "SHOAL_ERR_UNAUTHENTICATED"], e.message);
    assert.match(e.message, new RegExp(`no user ${created.user.id} \\(it was removed\\)`));
    return true;
  });
});

test("the API's limits on a user certificate's validity are the signer's", () => {
  assert.deepEqual([USER_CERT_EXPIRY_MIN_MS, USER_CERT_EXPIRY_MAX_MS], [CERT_EXPIRY_MIN_MS, CERT_EXPIRY_MAX_MS]);
});

// `shoal cluster user create|ls|rm` against a fake manager over HTTPS that signs the CSR it is sent with a test
// CA, as the leader does: what is sent (the CSR and the token's hash, nothing secret), the bundle written (and
// that it works), and the refusals made before anything is sent.
import assert from "node:assert/strict";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { UserCreateRequest, UserInfo } from "@shoal/api";
import { accessTokenHash, userBundlePaths, writeAdminBundle } from "@shoal/trust";
import { testCa, type TestCa } from "@shoal/trust/testing";
import { main } from "../main.js";
import { apiError, captureIo, FakeServer } from "../testing/fake-server.js";
import { makeInfo } from "../testing/objects.js";

const CLUSTER = "c-users";
const DAY = 24 * 60 * 60 * 1000;
const { signLeaf } = await import("@shoal/trust/pki");

let ca: TestCa;
let dir: string;
/** A data dir with nothing in it (no context file, no node trust bundle). */
let empty: string;
/** The admin bundle the commands are run with (SHOAL_CERT_PATH). */
let admin: string;
let api: FakeServer;
let host: string;
/** The users the fake manager holds. */
let users: UserInfo[] = [];

/** A user object as the manager lists it. */
const userInfo = (id: string, name: string, role: UserInfo["spec"]["role"], notAfter?: number): UserInfo => ({
  id,
  version: 1,
  createdAt: new Date(0).toISOString(),
  updatedAt: new Date(0).toISOString(),
  spec: { name, role },
  certificates: notAfter === undefined ? [] : [{ serial: "0A", notAfter: new Date(notAfter).toISOString() }],
});

before(async () => {
  ca = await testCa(CLUSTER);
  dir = mkdtempSync(join(tmpdir(), "shoal-cli-users-"));
  empty = join(dir, "empty");
  admin = join(dir, "admin");
  mkdirSync(empty);
  const root = await ca.user("root");
  await writeAdminBundle(userBundlePaths(admin), { roots: ca.trust, chain: root.chain, key: root.key });
  const manager = await ca.manager("m1", ["127.0.0.1"]);
  let next = 0;
  api = new FakeServer({ tls: { chain: manager.chain, key: manager.key, trust: ca.trust } })
    .on("POST", "/v1/users", async (r) => {
      const body = JSON.parse(r.body.toString()) as UserCreateRequest;
      if (users.some((u) => u.spec.name === body.name))
        return apiError(409, "SHOAL_ERR_ALREADY_EXISTS", `a user named "${body.name}" already exists`);
      const id = `user${++next}`;
      const now = new Date();
      const request = { kind: "user", clusterId: CLUSTER, userId: id, name: body.name } as const;
      const issued = await signLeaf({ signer: ca.signer, csr: body.csr, request, now, validityMs: 365 * DAY });
      const user = userInfo(id, body.name, body.role, issued.notAfter.getTime());
      users.push(user);
      return { status: 201, json: { user, certificate: issued.chain.join(""), trust: ca.trust.join("") } };
    })
    .on("GET", "/v1/users", () => ({ status: 200, json: users }))
    .on("DELETE", "/v1/users/:ref", (r) => {
      if (r.params.ref === "root")
        return apiError(409, "SHOAL_ERR_LAST_ADMIN", "user root is the cluster's last admin user", {
          hint: "create another admin user first",
        });
      const before = users.length;
      users = users.filter((u) => u.spec.name !== r.params.ref && !u.id.startsWith(r.params.ref ?? ""));
      return users.length < before
        ? { status: 204 }
        : apiError(404, "SHOAL_ERR_NOT_FOUND", `no user "${r.params.ref}"`);
    })
    .on("GET", "/v1/info", () => ({ status: 200, json: makeInfo({ managerAddr: "10.0.0.1:7070" }) }))
    .on("GET", "/v1/nodes", () => ({ status: 200, json: [] }));
  host = await api.listen();
});

after(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI against the fake manager as root (the admin bundle), or with `env`. */
async function run(argv: string[], env: Record<string, string> = { SHOAL_CERT_PATH: admin }) {
  const io = captureIo({ env });
  const code = await main([...argv, "--host", host, "--data-dir", empty], io);
  return { code, out: io.out(), err: io.err() };
}

const creates = () => api.requests("POST", "/v1/users");

test("cluster user create sends only the CSR and the token's hash, and writes a working bundle (0700, files 0600)", async () => {
  const out = join(dir, "bob");
  const r = await run(["cluster", "user", "create", "bob", "--role", "read-only", "--out", out]);
  assert.equal(r.code, 0, r.err);
  const sent = creates().at(-1);
  assert.ok(sent);
  const body = JSON.parse(sent.body.toString()) as Record<string, string>;
  assert.deepEqual(Object.keys(body).sort(), ["accessTokenHash", "csr", "name", "role"]);
  assert.deepEqual([body.name, body.role], ["bob", "read-only"]);

  const files = userBundlePaths(out);
  const token = readFileSync(files.accessToken, "utf8").trim();
  const key = readFileSync(files.key, "utf8");
  assert.match(token, /^shoal_at_/);
  assert.equal(body.accessTokenHash, accessTokenHash(token));
  assert.ok(!sent.body.toString().includes(token), "the access token was not sent");
  assert.ok(!sent.body.toString().includes(key.split("\n")[1] ?? "?"), "the key was not sent");

  assert.equal(statSync(out).mode & 0o777, 0o700);
  for (const f of [files.ca, files.cert, files.key, files.accessToken])
    assert.equal(statSync(f).mode & 0o777, 0o600, f);
  const leaf = new X509Certificate(readFileSync(files.cert));
  const id = users.find((u) => u.spec.name === "bob")?.id ?? "?";
  assert.equal(leaf.subjectAltName, `URI:shoal://${CLUSTER}/user/${id}`);
  assert.ok(leaf.checkPrivateKey(createPrivateKey(key)), "cert.pem is for key.pem");
  assert.equal(readFileSync(files.ca, "utf8"), ca.trust.join(""));

  assert.ok(r.out.startsWith(`User bob (read-only) created: id ${id}, its certificate valid until `), r.out);
  assert.ok(r.out.includes(`Its bundle is in ${out}: ca.pem, cert.pem, key.pem and access-token`), r.out);
  assert.ok(r.out.includes(`    SHOAL_CERT_PATH=${out} shoal --host 10.0.0.1:7070 node ls\n`), r.out);
  assert.ok(r.out.includes(`the access token in ${files.accessToken}`), r.out);

  // The bundle is bob's credential for the CLI.
  const ls = await run(["node", "ls"], { SHOAL_CERT_PATH: out });
  assert.equal(ls.code, 0, ls.err);
  assert.equal(api.received.at(-1)?.peer, `shoal://${CLUSTER}/user/${id}`);
});

test("cluster user create --expiry sends the validity; one outside 1h..365d or malformed is refused before anything is sent", async () => {
  const out = join(dir, "ci");
  const r = await run(["cluster", "user", "create", "ci", "--role", "admin", "--expiry", "30d", "--out", out]);
  assert.equal(r.code, 0, r.err);
  assert.equal((JSON.parse(creates().at(-1)?.body.toString() ?? "{}") as UserCreateRequest).expiryMs, 30 * DAY);
  const sent = creates().length;
  for (const expiry of ["30m", "366d", "1y", "soon"]) {
    const bad = await run([
      "cluster",
      "user",
      "create",
      "ci2",
      "--role",
      "admin",
      "--expiry",
      expiry,
      "-o",
      join(dir, "x"),
    ]);
    assert.equal(bad.code, 2, expiry);
    assert.match(bad.err, /for --expiry: a user certificate is valid for 1 hour to 1 year; write it like 30d/, expiry);
  }
  assert.equal(creates().length, sent);
  assert.equal(existsSync(join(dir, "x")), false);
});

test("cluster user create refuses a bad name or role and a directory that holds files, before sending anything", async () => {
  const sent = creates().length;
  const noRole = await run(["cluster", "user", "create", "dave"]);
  assert.equal(noRole.code, 2);
  assert.match(noRole.err, /--role is required: admin or read-only/);
  const role = await run(["cluster", "user", "create", "dave", "--role", "owner"]);
  assert.equal(role.code, 2);
  assert.match(role.err, /invalid value "owner" for --role: use admin or read-only/);
  const name = await run(["cluster", "user", "create", "../dave", "--role", "admin"]);
  assert.equal(name.code, 2);
  assert.match(name.err, /invalid user name "..\/dave"/);

  const full = join(dir, "full");
  mkdirSync(full);
  writeFileSync(join(full, "key.pem"), "precious");
  const r = await run(["cluster", "user", "create", "dave", "--role", "admin", "--out", full]);
  assert.equal(r.code, 1);
  assert.match(r.err, /full exists and is not empty: a user's bundle goes only to a new or empty directory/);
  assert.match(r.err, /hint: pass --out with a new or empty directory/);
  assert.equal(readFileSync(join(full, "key.pem"), "utf8"), "precious");
  assert.equal(creates().length, sent);
});

test("cluster user create leaves no directory behind when the manager refuses, and writes to ./NAME by default", async (t) => {
  const cwd = process.cwd();
  const work = mkdtempSync(join(dir, "cwd-"));
  process.chdir(work);
  t.after(() => process.chdir(cwd));
  const taken = await run(["cluster", "user", "create", "bob", "--role", "admin"]);
  assert.equal(taken.code, 1);
  assert.match(taken.err, /a user named "bob" already exists/);
  assert.equal(existsSync(join(work, "bob")), false, "the directory it made is removed");
  const r = await run(["cluster", "user", "create", "erin", "--role", "admin"]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(work, "erin", "cert.pem")));
  assert.ok(r.out.includes(`SHOAL_CERT_PATH=${join(work, "erin")} shoal`), r.out);
});

test("cluster user ls shows each user's role and when its certificate expires; -q the ids", async () => {
  const now = Date.now();
  const soon = now + 10 * DAY + 60_000;
  users = [
    userInfo("u3zzzzzzzzzzzzzz", "zoe", "read-only", now - DAY),
    userInfo("u1aaaaaaaaaaaaaa", "root", "admin", soon),
    userInfo("u2bbbbbbbbbbbbbb", "nocert", "read-only"),
  ];
  const r = await run(["cluster", "user", "ls"]);
  assert.equal(r.code, 0, r.err);
  const date = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  assert.equal(
    r.out,
    [
      "ID             NAME     ROLE        CERTIFICATE EXPIRES",
      "u2bbbbbbbbbb   nocert   read-only   -",
      `u1aaaaaaaaaa   root     admin       ${date(soon)} (in 10 days)`,
      `u3zzzzzzzzzz   zoe      read-only   ${date(now - DAY)} (expired)`,
      "",
    ].join("\n"),
  );
  const q = await run(["cluster", "user", "ls", "-q"]);
  assert.equal(q.out, "u3zzzzzzzzzzzzzz\nu1aaaaaaaaaaaaaa\nu2bbbbbbbbbbbbbb\n");
});

test("cluster user rm removes each user it names and reports a refusal with its hint", async () => {
  const now = Date.now();
  users = [userInfo("u1", "root", "admin", now + DAY), userInfo("u2", "zoe", "read-only", now + DAY)];
  const r = await run(["cluster", "user", "rm", "root", "zoe"]);
  assert.equal(r.code, 1);
  assert.equal(r.out, "zoe\n");
  assert.match(r.err, /user root is the cluster's last admin user\nhint: create another admin user first/);
  assert.deepEqual(
    users.map((u) => u.spec.name),
    ["root"],
  );
  assert.deepEqual(
    api.requests("DELETE", "/v1/users/zoe").map((x) => x.peer),
    [`shoal://${CLUSTER}/user/root`],
  );
});

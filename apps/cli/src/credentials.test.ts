import assert from "node:assert/strict";
import { test } from "node:test";
import { anyManagerOfClusters } from "@shoal/trust";
import { newTestCa, testCa } from "@shoal/trust/testing";
import { chooseTlsFiles, loadCredentials, type TlsFiles, type TlsSources } from "./credentials.js";
import { CliError, UsageError } from "./errors.js";

const TRUST = "/data/certificates/trust.pem";

/** Sources with nothing given, on a node whose data dir is /data and where only `files` exist. */
const sources = (o: Partial<TlsSources> = {}, files: readonly string[] = []): TlsSources => ({
  flags: {},
  dataDir: "/data",
  exists: (p) => files.includes(p),
  ...o,
});

/** The paths chosen, for comparing: `ca`, `ca cert key`. */
const paths = (f: TlsFiles | undefined) =>
  f && [f.ca.path, ...(f.client ? [f.client.cert.path, f.client.key.path] : [])].join(" ");

test("the TLS files come from the flags, then SHOAL_CERT_PATH, then the context file, then the node's bundle", () => {
  const ctxTls = { file: "/data/context.json", tls: { ca: "admin/ca.pem", cert: "/a/cert.pem", key: "/a/key.pem" } };
  const cases: [string, TlsSources, string | undefined][] = [
    ["nothing: plain HTTP", sources(), undefined],
    ["the node's trust bundle when nothing else", sources({}, [TRUST]), TRUST],
    [
      "the context file's tls, relative paths from the data dir",
      sources({ context: ctxTls }, [TRUST]),
      "/data/admin/ca.pem /a/cert.pem /a/key.pem",
    ],
    [
      "a context file's tls with a trust bundle only",
      sources({ context: { file: "/c", tls: { ca: "/x/ca.pem" } } }),
      "/x/ca.pem",
    ],
    [
      "SHOAL_CERT_PATH with a client certificate",
      sources({ certPath: "/b", context: ctxTls }, ["/b/cert.pem", "/b/key.pem"]),
      "/b/ca.pem /b/cert.pem /b/key.pem",
    ],
    ["SHOAL_CERT_PATH with ca.pem alone", sources({ certPath: "/b" }, [TRUST]), "/b/ca.pem"],
    ["an empty SHOAL_CERT_PATH counts as unset", sources({ certPath: "" }, [TRUST]), TRUST],
    [
      "--tls-ca wins over everything",
      sources({ flags: { ca: "/f/ca.pem" }, certPath: "/b", context: ctxTls }, [TRUST]),
      "/f/ca.pem",
    ],
    ["all three flags", sources({ flags: { ca: "/f/ca", cert: "/f/c", key: "/f/k" } }), "/f/ca /f/c /f/k"],
    [
      "--tls-cert/--tls-key take the trust bundle of the next source only",
      sources({ flags: { cert: "/f/c", key: "/f/k" }, context: ctxTls }),
      "/data/admin/ca.pem /f/c /f/k",
    ],
    [
      "--tls-cert/--tls-key with the node's bundle",
      sources({ flags: { cert: "/f/c", key: "/f/k" } }, [TRUST]),
      `${TRUST} /f/c /f/k`,
    ],
  ];
  for (const [name, s, want] of cases) assert.equal(paths(chooseTlsFiles(s)), want, name);
  assert.equal(chooseTlsFiles(sources({ flags: { ca: "/f/ca" } }))?.ca.via, "--tls-ca");
  assert.equal(chooseTlsFiles(sources({ context: ctxTls }))?.ca.via, "tls.ca of /data/context.json");
});

test("a certificate without its key, or a client certificate without a trust bundle, is refused naming what to fix", () => {
  const cases: [string, TlsSources, (e: unknown) => boolean][] = [
    [
      "--tls-cert alone",
      sources({ flags: { ca: "/f/ca", cert: "/f/c" } }),
      (e) => e instanceof UsageError && /^--tls-cert needs --tls-key/.test(e.message),
    ],
    [
      "--tls-key alone",
      sources({ flags: { key: "/f/k" } }),
      (e) => e instanceof UsageError && /^--tls-key needs --tls-cert/.test(e.message),
    ],
    [
      "--tls-cert and --tls-key without any trust bundle",
      sources({ flags: { cert: "/f/c", key: "/f/k" } }),
      (e) => e instanceof UsageError && /pass --tls-ca FILE/.test(e.message),
    ],
    [
      "SHOAL_CERT_PATH with cert.pem but no key.pem",
      sources({ certPath: "/b" }, ["/b/cert.pem"]),
      (e) => e instanceof CliError && e.message.startsWith("SHOAL_CERT_PATH=/b holds cert.pem without key.pem"),
    ],
    [
      "the context file's tls with a cert and no key",
      sources({ context: { file: "/data/context.json", tls: { ca: "/x", cert: "/c" } } }),
      (e) => e instanceof CliError && e.message === "/data/context.json: tls.cert is given without tls.key",
    ],
    [
      "the context file's tls without ca",
      sources({ context: { file: "/data/context.json", tls: { cert: "/c", key: "/k" } } }),
      (e) => e instanceof CliError && /tls\.ca is missing/.test(e.message),
    ],
    [
      "the context file's tls that is not paths",
      sources({ context: { file: "/data/context.json", tls: { ca: 7 } } }),
      (e) => e instanceof CliError && /tls\.ca must be a path/.test(e.message),
    ],
  ];
  for (const [name, s, check] of cases) assert.throws(() => chooseTlsFiles(s), check, name);
});

test("loadCredentials reads the bundle and the client's pair, names the clusters, and names a file it cannot use", async () => {
  const ca = await testCa("c-cli");
  const other = await newTestCa("c-other");
  const admin = await ca.user("admin");
  const stranger = await other.user("admin");
  const disk: Record<string, string> = {
    "/ca.pem": ca.trust.join(""),
    "/both.pem": `-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n${ca.trust.join("")}${other.trust.join("")}`,
    "/cert.pem": admin.chain.join(""),
    "/key.pem": admin.key,
    "/other-key.pem": stranger.key,
    "/empty.pem": "no certificate here\n",
  };
  const read = (p: string): string => {
    const text = disk[p];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: open '${p}'`), { code: "ENOENT" });
    return text;
  };
  const ref = (path: string, via = "--tls-x") => ({ path, via });

  const trustOnly = loadCredentials({ ca: ref("/ca.pem") }, read);
  assert.deepEqual(trustOnly.clusterIds, ["c-cli"]);
  assert.equal(trustOnly.cert, undefined);
  const both = loadCredentials({ ca: ref("/both.pem") }, read);
  assert.deepEqual(both.clusterIds, ["c-cli", "c-other"], "a malformed block is skipped, every root counts");
  const expect = anyManagerOfClusters(both.clusterIds);
  assert.ok(expect.matches({ kind: "manager", clusterId: "c-other", nodeId: "n1" }));
  assert.ok(!expect.matches({ kind: "agent", clusterId: "c-cli", nodeId: "n1" }));
  const pair = loadCredentials({ ca: ref("/ca.pem"), client: { cert: ref("/cert.pem"), key: ref("/key.pem") } }, read);
  assert.equal(pair.cert, admin.chain.join(""));
  assert.equal(pair.key, admin.key);

  const refused: [string, TlsFiles, string][] = [
    [
      "missing bundle",
      { ca: ref("/nope.pem", "--tls-ca") },
      "the trust bundle /nope.pem (--tls-ca) cannot be read (no such file)",
    ],
    [
      "bundle without a certificate",
      { ca: ref("/empty.pem") },
      "the trust bundle /empty.pem (--tls-x) holds no PEM certificate",
    ],
    [
      "missing key",
      { ca: ref("/ca.pem"), client: { cert: ref("/cert.pem"), key: ref("/gone.pem", "SHOAL_CERT_PATH") } },
      "the private key /gone.pem (SHOAL_CERT_PATH) cannot be read (no such file)",
    ],
    [
      "a key of another certificate",
      { ca: ref("/ca.pem"), client: { cert: ref("/cert.pem"), key: ref("/other-key.pem") } },
      "the private key /other-key.pem (--tls-x) is not the key of the certificate in /cert.pem",
    ],
    [
      "a key file holding a certificate",
      { ca: ref("/ca.pem"), client: { cert: ref("/cert.pem"), key: ref("/ca.pem") } },
      "the private key /ca.pem (--tls-x) holds no PEM private key",
    ],
  ];
  for (const [name, files, message] of refused)
    assert.throws(
      () => loadCredentials(files, read),
      (e: unknown) => e instanceof CliError && e.code === "SHOAL_ERR_CERT_FILES" && e.message === message,
      name,
    );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyTlsFailure, tlsFailureError, type TlsFailure, type TlsProblem } from "./tls-failure.js";

/** A fetch error as undici throws it: `fetch failed` with the socket's error as cause. */
const fetchFailed = (cause: object) => new TypeError("fetch failed", { cause });
const coded = (code: string, extra: object = {}) => Object.assign(new Error(`${code} happened`), { code }, extra);

test("classifyTlsFailure reads the codes of the cause chain, and leaves connection failures alone", () => {
  const cases: [string, unknown, TlsProblem | undefined, RegExp?][] = [
    [
      "wrong identity",
      fetchFailed(
        coded("SHOAL_ERR_PEER_IDENTITY", {
          expected: "any manager of cluster c1",
          presented: "shoal://c1/node/n1/agent",
        }),
      ),
      "identity",
      /names shoal:\/\/c1\/node\/n1\/agent, expected any manager of cluster c1/,
    ],
    ["host name check", fetchFailed(coded("ERR_TLS_CERT_ALTNAME_INVALID")), "identity"],
    ["another CA", fetchFailed(coded("SELF_SIGNED_CERT_IN_CHAIN")), "untrusted", /SELF_SIGNED_CERT_IN_CHAIN/],
    ["leaf only, unknown issuer", fetchFailed(coded("UNABLE_TO_VERIFY_LEAF_SIGNATURE")), "untrusted"],
    ["expired", fetchFailed(coded("CERT_HAS_EXPIRED")), "validity", /has expired/],
    ["not yet valid", fetchFailed(coded("CERT_NOT_YET_VALID")), "validity", /not yet valid/],
    [
      "no client certificate",
      fetchFailed(coded("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")),
      "client-refused",
      /none was given/,
    ],
    [
      "client certificate refused",
      fetchFailed(coded("ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", { reason: "sslv3 alert bad certificate" })),
      "client-refused",
      /\(sslv3 alert bad certificate\)/,
    ],
    ["plain HTTP at that port", fetchFailed(coded("ERR_SSL_WRONG_VERSION_NUMBER")), "protocol"],
    ["connection refused", fetchFailed(coded("ECONNREFUSED")), undefined],
    ["closed", fetchFailed(coded("UND_ERR_SOCKET")), undefined],
    ["no cause", new TypeError("fetch failed"), undefined],
    ["not an error", "down", undefined],
  ];
  for (const [name, err, problem, detail] of cases) {
    const got = classifyTlsFailure(err);
    assert.equal(got?.problem, problem, name);
    if (detail) assert.match(got?.detail ?? "", detail, name);
  }
  const loop: { cause?: unknown } = {};
  loop.cause = loop;
  assert.equal(classifyTlsFailure(loop), undefined, "a cause cycle ends");
});

const failure = (problem: TlsProblem, detail: string): TlsFailure => ({ problem, code: "X", detail });

test("tlsFailureError: SHOAL_ERR_PEER_IDENTITY when every failure is an identity, else SHOAL_ERR_TLS, naming each manager", () => {
  const one = tlsFailureError(new Map([["https://a:7070", failure("identity", "its certificate names x")]]), new Map());
  assert.equal(one.code, "SHOAL_ERR_PEER_IDENTITY");
  assert.equal(one.status, 502);
  assert.equal(one.message, "client: TLS with the manager at https://a:7070 failed: its certificate names x");
  assert.match(one.hint, /check the address/);

  const mixed = tlsFailureError(
    new Map([
      ["https://a:7070", failure("identity", "its certificate names x")],
      ["https://b:7070", failure("validity", "its certificate has expired")],
    ]),
    new Map([["https://c:7070", "connect ECONNREFUSED"]]),
  );
  assert.equal(mixed.code, "SHOAL_ERR_TLS");
  assert.equal(mixed.status, 502);
  assert.equal(
    mixed.message,
    "client: no manager could be used over TLS: https://a:7070: its certificate names x; " +
      "https://b:7070: its certificate has expired; https://c:7070: unreachable (connect ECONNREFUSED)",
  );
  assert.match(mixed.hint, /check the address.*; check the clocks/);
});

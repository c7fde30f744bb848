// Helpers for tests of the API over HTTPS: the test CA's credentials as the API's TLS material, a listening
// address, and clients over TLS with or without a client certificate.
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { FastifyInstance } from "fastify";
import { ShoalClient } from "@shoal/api";
import { createTlsFetch } from "@shoal/api/node";
import { anyManagerOf } from "@shoal/trust";
import type { TestCa, TestCredentials } from "@shoal/trust/testing";
import type { Api } from "./api-harness.js";
import { addUser } from "./fixtures.js";
import type { ApiTls } from "../api/tls-server.js";

/** The cluster id of the API harness's info (`c1`): the test CA's certificates must be of it. */
export const CLUSTER = "c1";
export const HOUR = 60 * 60 * 1000;
export const DAY = 24 * HOUR;

/** A manager's credentials as the API's TLS material. */
export const apiTlsOf = (creds: TestCredentials, trust: readonly string[] = creds.trust): ApiTls => ({
  chain: creds.chain,
  key: creds.key,
  trust,
});

/** Listens on a free loopback port; resolves with `127.0.0.1:<port>`. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const addr = app.server.address();
  assert.ok(addr && typeof addr === "object");
  return `127.0.0.1:${addr.port}`;
}

/** What a TLS client trusts and presents. */
export interface TlsClientOptions {
  /** The roots it trusts (PEM blocks). */
  readonly trust: readonly string[];
  /** Its client certificate (chain and key), if any. */
  readonly creds?: Pick<TestCredentials, "chain" | "key">;
}

/** A fetch over TLS that accepts any manager of {@link CLUSTER}; its connections close after the test. */
export function tlsFetch(t: TestContext, o: TlsClientOptions): typeof fetch {
  const f = createTlsFetch({
    trust: o.trust.join(""),
    expect: anyManagerOf(CLUSTER),
    ...(o.creds ? { cert: o.creds.chain.join(""), key: o.creds.key } : {}),
  });
  t.after(() => f.close());
  return f.fetch;
}

/** A ShoalClient of the API at `address` over TLS (see {@link tlsFetch}). */
export function tlsClient(t: TestContext, address: string, o: TlsClientOptions): ShoalClient {
  return new ShoalClient({ managers: [`https://${address}`], fetch: tlsFetch(t, o), timeoutMs: 5_000 });
}

/**
 * An admin user's credentials for the API `a` (issued by `ca`, the user added to `a`'s store): the client
 * certificate the API's tests read and write with.
 */
export async function adminOf(
  a: Pick<Api, "store">,
  ca: Pick<TestCa, "user">,
  userId = "admin",
): Promise<TestCredentials> {
  const creds = await ca.user(userId);
  await addUser(a.store, userId, { serials: [creds.serial] });
  return creds;
}

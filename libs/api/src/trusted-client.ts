import { X509Certificate } from "node:crypto";
import { anyManagerOfClusters, clusterIdsOfRoots, splitPemCertificates } from "@shoal/trust";
import { ShoalClient, type ClientOptions } from "./client.js";
import { ValidationError } from "./errors.js";
import { createTlsFetch } from "./node-fetch.js";

/** What a {@link TrustedClient}'s clients are given besides the TLS transport: managers, timeouts, hooks. */
export type TrustedClientOptions = Omit<ClientOptions, "scheme" | "fetch">;

/** Options of {@link trustedClient}. */
export interface TrustedOptions extends TrustedClientOptions {
  /** The cluster's trust bundle, PEM: a node's `<dataDir>/certificates/trust.pem`, or the admin bundle's `ca.pem`. */
  readonly trust: string;
  /** This client's chain, leaf first, and its key, PEM; for mutual TLS, both or neither. */
  readonly cert?: string;
  readonly key?: string;
}

/** A client of the managers over HTTPS, and the connections it keeps. */
export interface TrustedClient {
  /** The client for the options given. */
  readonly client: ShoalClient;
  /** The TLS fetch under it (for a page or route the client has no call for, e.g. `GET /`). */
  readonly fetch: typeof fetch;
  /** The clusters the trust bundle's roots name: the managers must hold a manager certificate of one of them. */
  readonly clusterIds: readonly string[];
  /** Another client over the same connections, with its own managers and options (e.g. one pinned to a manager). */
  clientOf(o: TrustedClientOptions): ShoalClient;
  /** Closes the kept-alive connections of every client made here; call it when done, or the process waits. */
  close(): Promise<void>;
}

/**
 * A `ShoalClient` for a Node process that has the cluster's trust bundle (tests, benches, scripts): it dials the
 * managers over HTTPS and accepts a server only by a manager certificate of a cluster the bundle's roots name,
 * whatever host or address was dialed (`127.0.0.1`, a container's or a VM's address). Throws ValidationError
 * (SHOAL_ERR_INVALID_ARGUMENT) when the bundle holds no certificate naming a cluster, or a certificate comes
 * without its key.
 */
export function trustedClient(o: TrustedOptions): TrustedClient {
  const { trust, cert, key, ...clientOptions } = o;
  // A malformed block is skipped, as the CLI does: the other roots still serve.
  const roots = splitPemCertificates(trust).flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
  const clusterIds = clusterIdsOfRoots(roots);
  if (clusterIds.length === 0)
    throw new ValidationError("trust bundle", [
      {
        field: "trust",
        message:
          roots.length === 0
            ? "holds no PEM certificate (give the cluster's <dataDir>/certificates/trust.pem)"
            : "names no cluster: no certificate in it has one O (the cluster id)",
      },
    ]);
  const tls = createTlsFetch({
    trust,
    expect: anyManagerOfClusters(clusterIds),
    ...(cert !== undefined ? { cert } : {}),
    ...(key !== undefined ? { key } : {}),
  });
  const clientOf = (c: TrustedClientOptions) => new ShoalClient({ ...c, scheme: "https", fetch: tls.fetch });
  return { client: clientOf(clientOptions), fetch: tls.fetch, clusterIds, clientOf, close: () => tls.close() };
}

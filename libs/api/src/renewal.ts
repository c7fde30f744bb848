import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import {
  assertChain,
  exactIdentity,
  formatIdentity,
  identityOfCertificate,
  mustRenewNow,
  nextRenewal,
  parseCertificates,
  readCertificateFiles,
  readTrustBundle,
  splitPemCertificates,
  writeCertificateFiles,
  type CertificateFiles,
  type Identity,
} from "@shoal/trust";
import { trustedClient } from "./trusted-client.js";

/**
 * A node renewing its own certificate (docs/design/trust.md §4.8): the agent its agent certificate, a manager
 * its manager certificate. At a random point in the middle of the certificate's validity (at once when less
 * than a fifth is left) it makes a new key and asks the managers for a certificate of it, presenting the
 * certificate it renews (`POST /v1/nodes/self/certificate`); it checks the answer names the same identity, for
 * the new key, chained to its trust bundle, and replaces the files (the key first in `<key>.next`, so a crash in
 * between leaves a usable pair). A failure is retried with backoff, and nothing is replaced.
 */

/** What a renewal needs. */
export interface RenewalOptions {
  readonly kind: "agent" | "manager";
  /** The certificate to renew and where its successor goes. */
  readonly files: CertificateFiles;
  /** The node's trust bundle (`<dataDir>/certificates/trust.pem`). */
  readonly trustFile: string;
  /** The managers' API addresses to ask (the client then follows the managers they name). */
  readonly managers: () => readonly string[];
  /** A manager certificate's addresses (its advertise address). */
  readonly addresses?: readonly string[];
  /** Called with the new chain (leaf first) and key once they are written (a manager swaps its API's TLS). */
  readonly onRenewed?: (chain: readonly string[], key: string) => void;
  readonly log: {
    info(msg: string, fields?: Record<string, unknown>): void;
    warn(msg: string, fields?: Record<string, unknown>): void;
  };
  /** Test hooks: the clock, the random draw of the renewal time, the first retry delay. */
  readonly now?: () => number;
  readonly random?: () => number;
  readonly retryMs?: number;
}

/** A running renewal schedule. */
export interface Renewal {
  /** Renews now (also what the schedule calls); rejects with why it could not. */
  renewNow(): Promise<void>;
  /** When the next renewal is planned (ms since the epoch), once known. */
  readonly due: number | undefined;
  stop(): void;
}

/** The longest a timer may wait in Node (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest wait between failed attempts. */
const MAX_RETRY_MS = 60 * 60 * 1000;

/** Starts renewing the certificate of `o.files` on schedule; stop it with `stop()`. */
export function startRenewal(o: RenewalOptions): Renewal {
  const now = o.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failures = 0;
  let due: number | undefined;
  const arm = (at: number) => {
    due = at;
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), Math.min(Math.max(at - now(), 0), MAX_TIMER_MS));
    timer.unref();
  };
  const plan = async () => {
    const { certificates } = await readCertificateFiles(o.files);
    const leaf = certificates[0];
    if (!leaf) throw new Error(`renewal: ${o.files.cert} holds no certificate`);
    const from = new Date(leaf.validFrom);
    const to = new Date(leaf.validTo);
    arm(mustRenewNow(from, to, new Date(now())) ? now() : nextRenewal(from, to, o.random ?? Math.random).getTime());
  };
  const tick = async () => {
    if (stopped || due === undefined) return;
    if (now() < due) return arm(due);
    try {
      await renew(o);
      failures = 0;
      await plan();
    } catch (e) {
      failures++;
      const retryMs = Math.min((o.retryMs ?? 60_000) * 2 ** (failures - 1), MAX_RETRY_MS);
      o.log.warn(`cannot renew the ${o.kind} certificate; retrying`, { error: e, retryInMs: retryMs });
      arm(now() + retryMs);
    }
  };
  void plan().catch((e: unknown) => o.log.warn(`cannot plan the renewal of the ${o.kind} certificate`, { error: e }));
  return {
    renewNow: () => renew(o),
    get due() {
      return due;
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** One renewal: a new key, its certificate from the managers, checked, then written. */
export async function renew(o: RenewalOptions): Promise<void> {
  const current = await readCertificateFiles(o.files);
  const leaf = current.certificates[0];
  const identity = leaf && identityOfCertificate(leaf);
  if (!identity || identity.kind === "user") throw new Error(`renewal: ${o.files.cert} names no ${o.kind} of a node`);
  const trust = await readTrustBundle(o.trustFile);
  const { generateKeyAndCsr } = await import("@shoal/trust/pki");
  const { key, csr } = await generateKeyAndCsr();
  const client = trustedClient({
    managers: [...o.managers()],
    trust: trust.map((c) => c.toString()).join(""),
    cert: current.chain.join(""),
    key: current.key,
    timeoutMs: 30_000,
  });
  let answer;
  try {
    answer = await client.client.call("nodeCertificate", {
      body: { kind: o.kind, csr, ...(o.addresses ? { addresses: [...o.addresses] } : {}) },
    });
  } finally {
    await client.close();
  }
  const chain = splitPemCertificates(answer.certificate);
  checkRenewed(chain, key, identity, trust, o.now?.() ?? Date.now());
  await writeCertificateFiles(o.files, chain, key);
  o.log.info(`renewed the ${o.kind} certificate`, { identity: formatIdentity(identity) });
  o.onRenewed?.(chain, key);
}

/** Refuses an answer that is not a certificate of `identity` for `key`, chained to `trust`. */
function checkRenewed(
  chain: readonly string[],
  key: string,
  identity: Identity,
  trust: Parameters<typeof assertChain>[0]["trust"],
  at: number,
): void {
  const verified = assertChain({
    presented: parseCertificates(chain),
    trust,
    at: new Date(at),
    clusterId: identity.clusterId,
    purpose: "client",
    expect: exactIdentity(identity),
  });
  const spki = (k: KeyObject) => k.export({ format: "der", type: "spki" });
  if (!spki(verified.leaf.publicKey).equals(spki(createPublicKey(createPrivateKey(key)))))
    throw new Error("renewal: the managers answered a certificate for another key");
}

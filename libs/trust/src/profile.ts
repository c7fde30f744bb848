import { isIP } from "node:net";
import { TrustArgumentError } from "./errors.js";
import { checkIdentityId, formatIdentity, type Identity } from "./identity.js";

/**
 * Certificate profiles (docs/design/trust.md §4.2) as pure data: what a certificate of each kind says. The
 * signer (`@shoal/trust/pki`) applies a profile to the public key of a CSR; nothing else of the CSR is used.
 */

/** What the manager asks to issue: the kind, and the ids the store (not the CSR) gives. */
export type LeafRequest =
  | { readonly kind: "agent"; readonly clusterId: string; readonly nodeId: string }
  | {
      readonly kind: "manager";
      readonly clusterId: string;
      readonly nodeId: string;
      /** The manager's advertise address(es) and `--cert-san` extras: IP addresses or DNS names. */
      readonly addresses?: readonly string[];
    }
  | {
      readonly kind: "user";
      readonly clusterId: string;
      readonly userId: string;
      /** The user's name, the certificate's CN (the user id when absent). */
      readonly name?: string;
    };

/** One subject alternative name. */
export interface SubjectAltName {
  readonly type: "uri" | "ip" | "dns";
  readonly value: string;
}

/** The extended key usages Shoal certificates carry. */
export type ExtendedKeyUsage = "serverAuth" | "clientAuth";

/** OIDs of {@link ExtendedKeyUsage}, as Node's `X509Certificate.keyUsage` lists them. */
export const EKU_OIDS: Readonly<Record<ExtendedKeyUsage, string>> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};

/** A distinguished name as ordered attributes, most general first (the order they are encoded in). */
export type DistinguishedName = readonly { readonly key: "O" | "OU" | "CN"; readonly value: string }[];

/** What a leaf certificate of one request says. */
export interface LeafProfile {
  readonly identity: Identity;
  readonly subject: DistinguishedName;
  /** The identity's URI first, then (managers) IPs and DNS names. */
  readonly subjectAltNames: readonly SubjectAltName[];
  readonly extendedKeyUsage: readonly ExtendedKeyUsage[];
}

/** Backdating of every leaf's notBefore, against clock skew between nodes (as swarmkit's CertBackdate). */
export const CERT_BACKDATE_MS = 60 * 60 * 1000;
/** The shortest `--cert-expiry` a cluster accepts: 1 hour. */
export const CERT_EXPIRY_MIN_MS = 60 * 60 * 1000;
/** The longest `--cert-expiry` a cluster accepts: 1 year (365 days). */
export const CERT_EXPIRY_MAX_MS = 365 * 24 * 60 * 60 * 1000;
/** The default validity of agent and manager certificates: 90 days. */
export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * 24 * 60 * 60 * 1000;
/** The default validity of user certificates: 1 year. */
export const DEFAULT_USER_CERT_EXPIRY_MS = CERT_EXPIRY_MAX_MS;
/** The validity of a root CA: 20 years. */
export const ROOT_CA_EXPIRY_MS = 20 * 365 * 24 * 60 * 60 * 1000;

/**
 * Throws a TrustArgumentError unless `ms` is a `--cert-expiry` a cluster accepts (1 hour to 1 year). The signer
 * itself takes any positive validity, so tests can use certificates of seconds.
 */
export function checkCertExpiry(ms: number): void {
  if (!Number.isInteger(ms) || ms < CERT_EXPIRY_MIN_MS || ms > CERT_EXPIRY_MAX_MS) {
    throw new TrustArgumentError("cert expiry", `${ms} ms is outside 1 hour to 1 year`);
  }
}

/** The manager names every manager certificate carries besides its addresses: loopback for local clients. */
const MANAGER_LOCAL_NAMES: readonly SubjectAltName[] = [
  { type: "ip", value: "127.0.0.1" },
  { type: "dns", value: "localhost" },
];

/** A DNS name: labels of letters, digits and `-` (a leading `*.` is refused: no wildcard certificates). */
const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An address of a manager as a SAN: an IP address, or else a DNS name; throws when it is neither. */
export function addressSan(address: string): SubjectAltName {
  if (isIP(address)) return { type: "ip", value: address };
  if (DNS_NAME.test(address)) return { type: "dns", value: address.toLowerCase() };
  throw new TrustArgumentError("manager address", `${JSON.stringify(address)} is neither an IP address nor a DNS name`);
}

/** The profile of a leaf certificate (§4.2's table): subject, SANs and EKU from the request alone. */
export function leafProfile(req: LeafRequest): LeafProfile {
  checkIdentityId("cluster id", req.clusterId);
  const O = { key: "O", value: req.clusterId } as const;
  if (req.kind === "user") {
    const identity: Identity = { kind: "user", clusterId: req.clusterId, userId: req.userId };
    const name = req.name ?? req.userId;
    if (name.length === 0 || name.length > 64) throw new TrustArgumentError("user name", "must be 1-64 characters");
    return {
      identity,
      subject: [O, { key: "OU", value: "user" }, { key: "CN", value: name }],
      subjectAltNames: [{ type: "uri", value: formatIdentity(identity) }],
      extendedKeyUsage: ["clientAuth"],
    };
  }
  const identity: Identity = { kind: req.kind, clusterId: req.clusterId, nodeId: req.nodeId };
  const sans: SubjectAltName[] = [{ type: "uri", value: formatIdentity(identity) }];
  if (req.kind === "manager") {
    for (const san of [...(req.addresses ?? []).map(addressSan), ...MANAGER_LOCAL_NAMES]) {
      if (!sans.some((s) => s.type === san.type && s.value === san.value)) sans.push(san);
    }
  }
  return {
    identity,
    subject: [O, { key: "OU", value: req.kind }, { key: "CN", value: req.nodeId }],
    subjectAltNames: sans,
    extendedKeyUsage: ["clientAuth", "serverAuth"],
  };
}

/** A source of random bytes: `n` bytes, each uniform over 0..255 (`crypto.randomBytes` outside tests). */
export type RandomBytes = (n: number) => Uint8Array;

/** Bytes of a certificate serial number. */
export const SERIAL_BYTES = 16;

/**
 * A certificate serial: 16 random bytes with the top bit cleared, so the DER INTEGER is positive and exactly 16
 * bytes long. A first byte of zero becomes 1 (a serial of 15 bytes would be shorter, and zero is not allowed);
 * that costs under 0.01 bit of the 127.
 */
export function newSerial(random: RandomBytes): Uint8Array {
  const b = Uint8Array.from(random(SERIAL_BYTES).subarray(0, SERIAL_BYTES));
  if (b.length !== SERIAL_BYTES)
    throw new TrustArgumentError("random", `gave ${b.length} bytes, ${SERIAL_BYTES} needed`);
  b[0] = b[0]! & 0x7f;
  if (b[0] === 0) b[0] = 1;
  return b;
}

/** The subject of a cluster's root CA number `n`: `CN=Shoal root CA <n>, O=<cluster id>`. */
export function rootSubject(clusterId: string, n: number): DistinguishedName {
  checkIdentityId("cluster id", clusterId);
  if (!Number.isInteger(n) || n < 1) throw new TrustArgumentError("root CA number", `${n} is not a positive integer`);
  return [
    { key: "O", value: clusterId },
    { key: "CN", value: `Shoal root CA ${n}` },
  ];
}

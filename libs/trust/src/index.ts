/**
 * `@shoal/trust`: the cluster's PKI core, without certificate creation (that is `@shoal/trust/pki`, which loads
 * @peculiar/x509): identities, chain verification with Node's `X509Certificate`, certificate profiles, join
 * tokens, TLS options, certificate files, renewal timing.
 */
export * from "./errors.js";
export * from "./identity.js";
export * from "./profile.js";
export * from "./chain.js";
export * from "./token.js";
export * from "./tls.js";
export * from "./raft-sockets.js";
export * from "./files.js";
export * from "./renewal.js";
export * from "./pem.js";
export * from "./access-token.js";
export * from "./unlock-key.js";
export { basicConstraints, keyUsageFlags, KU_CRL_SIGN, KU_DIGITAL_SIGNATURE, KU_KEY_CERT_SIGN } from "./der.js";

/**
 * `@shoal/trust/pki`: making keys, CSRs and certificates (root CAs, intermediates, cross-signatures, leaves). The
 * only part of the package that loads @peculiar/x509 (about 10 packages and a Reflect polyfill), so processes
 * that only verify import `@shoal/trust` and load this entry point lazily, when they sign or request.
 */
export { createRootCa, crossSign, issueIntermediateCa } from "./ca.js";
export type { CrossSignOptions, IntermediateCaOptions, RootCaOptions } from "./ca.js";
export { generateKeyAndCsr, MAX_CSR_BYTES, publicKeyOfCsr } from "./csr.js";
export type { KeyAndCsr } from "./csr.js";
export type { CaMaterial, CaSigner } from "./issue.js";
export { signLeaf } from "./sign.js";
export type { IssuedCertificate, SignLeafOptions } from "./sign.js";
